"""Movement search: a bank's tracks, windows of them, and search_motion over them.

    tracks.py   a bank's poses grouped into tracks (one person in one video), in time order
    windows.py  the maths: resampling a track, a window's distance from a movement, features
    search.py   MotionIndex: the window index and search_motion (PoseBank.search_motion)
"""
