"""Archive ingestion: photos and videos in, a pose bank with thumbnails out.

discover -> hashing -> (pool of workers running work.process_unit) -> run (ledger, commits).
"""
