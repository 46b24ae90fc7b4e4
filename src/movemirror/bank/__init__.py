"""A bank: the poses of an archive with their records, saved in a folder it owns.

    pose_bank.py  PoseBank: building, saving, loading and searching a bank
    schema.py     the records' columns and their types
    storage.py    the folder's layout and format on disk, and its crash semantics
    index_lock.py the lock `movemirror index` holds on the folder while it writes
"""

from __future__ import annotations

from movemirror.bank.pose_bank import PoseBank, SearchResult, SkippedPose

__all__ = ["PoseBank", "SearchResult", "SkippedPose"]
