"""Files on disk: content hashes and atomic writes, for the bank, ingestion and the models.

An atomic write goes to a temporary file beside its target and is renamed over it, so a
reader sees the old file or the new one, never a part. Synced, the data and the rename are
on disk before the call returns; a caller writing many files may sync them later together
with sync_files (only those files and their folders, never the whole machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex: what identifies a file across renames and copies."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_atomic(path: str | Path, data: bytes, *, sync: bool = True) -> None:
    """Replace path's content with data in one rename (creating its folder if need be).

    sync=False leaves flushing to the caller (sync_files), for many files at once.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def write_json_atomic(path: str | Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2).encode())


def sync_files(paths: Iterable[str | Path]) -> None:
    """Flush these files, and the folders that name them, to disk."""
    folders = set()
    for path in paths:
        path = Path(path)
        fsync_file(path)
        folders.add(path.parent)
    for folder in folders:
        fsync_dir(folder)


def fsync_file(path: str | Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: str | Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
