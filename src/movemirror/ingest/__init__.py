"""Archive ingestion: photos and videos in, a pose bank with thumbnails out.

discover -> content hash (movemirror.files) -> (pool of workers running work.process_unit)
-> run (ledger, commits).
"""
