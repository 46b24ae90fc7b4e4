"""Movement search: a bank's tracks, windows of them, and search_motion over them.

    tracks.py  a bank's poses grouped into tracks (one person in one video), in time order
"""
