"""The bank on disk, whatever its format: where a bank is, which format it has, reading a
version of it, committing to it, and its pictures by row.

A bank is a folder, local or at any URI Lance supports (s3://bucket/bank). Format 2
(movemirror.bank.lance_store, what every save writes) is a Lance dataset of poses plus one per
extra table, append-only and versioned. Format 1 (movemirror.bank.format1: a manifest,
Parquet, a .npy and a thumbs/ folder) still opens, read-only; upgrade() converts it in place.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from movemirror.bank import format1, lance_store
from movemirror.bank.schema import THUMBNAIL
from movemirror.errors import BankError

THUMBS = "thumbs"  # format 1's folder of pictures
MANIFEST = format1.MANIFEST


@dataclass
class StoredBank:
    """One version of a stored bank, as PoseBank takes it."""

    records: pa.Table | Callable[[], pa.Table]  # or what reads them (format 2: on first use)
    vectors: np.ndarray
    tables: dict[str, pa.Table]
    format: int
    generation: str  # the version's name: a Lance version number, or format 1's generation
    pictures: Pictures
    read_ids: Callable[[], pa.ChunkedArray] | None = None  # the ids alone (format 2)


class Pictures:
    """The pictures of one stored version of a bank, read by row."""

    def __init__(self, location: str, version: int | None = None, dataset=None,
                 names: pa.ChunkedArray | None = None):
        self.location = location
        self.version = version  # None: format 1 (files named by the records: names)
        self.dataset = dataset  # format 2: the poses dataset at this version, opened on first use
        self._names = names
        self._newer = None  # the newest version once this one's files are gone (as last seen)

    def read(self, rows: Sequence[int],
             ids: Callable[[list[int]], list[str]] | None = None) -> list[bytes | None]:
        """The pictures of some rows. ids: what gives the ids of rows, to read them from the
        bank's newest version once this version's files are gone (`bank compact
        --keep-versions`, or `bank upgrade` of a format-1 bank, beside a server): the bank
        only grows, so a pose keeps its row; a row holding another id (the folder now holds
        another bank) gives None."""
        rows = [int(row) for row in rows]
        if self._newer is None:
            try:
                return self._read_own(rows)
            except BankError:
                if ids is None:
                    raise
        if ids is None:
            raise BankError(f"{self.location}: this version is gone: its pictures are read "
                            "from the newest version by id")
        wanted = ids(rows)
        if self._newer is not None:
            try:
                return lance_store.read_images(self._newer, rows, wanted)
            except BankError:
                pass  # gone in its turn (compacted again): the newest now
        self._newer = lance_store.open_version(self.location, None)
        return lance_store.read_images(self._newer, rows, wanted)

    def _read_own(self, rows: list[int]) -> list[bytes | None]:
        """The pictures as this version stored them; BankError once they are gone."""
        if self.version is None:
            if not _is_format1(self.location):  # an upgrade removes the manifest first
                raise BankError(f"{self.location}: no longer a format-1 bank")
            return [self._read_file(row) for row in rows]
        if self.dataset is None:
            self.dataset = lance_store.open_version(self.location, self.version)
        return lance_store.read_images(self.dataset, rows)

    def _read_file(self, row: int) -> bytes | None:
        """Format 1: the file the record names, if it is inside the bank."""
        name = self._names[row].as_py() if self._names is not None else None
        if not name:
            return None
        root = Path(self.location).resolve()
        file = (root / name).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            return None
        return file.read_bytes()


def location_of(path: str | Path) -> str:
    """A bank's location as Lance names it: a URI as given, a local path made absolute."""
    text = str(path)
    return text if "://" in text else str(Path(text).absolute())


def display_name(path: str | Path) -> str:
    """A short name for a bank: its folder's name."""
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def bank_format(path: str | Path) -> int | None:
    """1 or 2 for the bank at path, None if there is none. A format-1 manifest wins: an
    upgrade removes it last, so a half-done upgrade is still the format-1 bank."""
    location = location_of(path)
    if _is_format1(location):
        return 1
    return 2 if lance_store.exists(location) else None


def _is_format1(location: str) -> bool:
    return "://" not in location and (Path(location) / MANIFEST).exists()


def read_bank(path: str | Path, version: int | None = None, verify: bool = True) -> StoredBank:
    """Open the bank at path (the latest version, or an older one); BankError names what is
    missing, damaged or of an unknown format."""
    if version is not None and (not isinstance(version, numbers.Integral)
                                or isinstance(version, bool) or version < 1):
        raise BankError(f"{path}: the bank has no version {version!r}; versions are whole "
                        "numbers from 1 (`movemirror bank history` lists them)")
    location = location_of(path)
    if bank_format(location) == 1:
        if version is not None:
            raise BankError(f"{path}: a format-1 bank has no versions; run `movemirror bank "
                            "upgrade` to convert it")
        old = format1.read_bank(location, verify=verify)
        names = (old.records.column(THUMBNAIL) if THUMBNAIL in old.records.column_names
                 else None)
        return StoredBank(old.records, old.vectors, old.tables, 1, old.generation,
                          Pictures(location, names=names))
    stored = lance_store.read(location, version)
    return StoredBank(stored.records, stored.vectors, stored.tables, 2, str(stored.version),
                      Pictures(location, stored.version, stored.dataset), stored.read_ids)


def current_generation(path: str | Path) -> str:
    """The name of the newest committed version (cheap: what serve --follow polls)."""
    location = location_of(path)
    if bank_format(location) == 1:
        return format1.manifest_generation(format1.read_manifest(Path(location)))
    return str(lance_store.latest_version(location))


def write_bank(path: str | Path, records: pa.Table, vectors: np.ndarray,
               images: Sequence[bytes | None], tables: dict[str, pa.Table]) -> str:
    """Write a whole bank as path's new version (replacing any bank there, a format-1 one
    included); returns the version's name."""
    location = location_of(path)
    if "://" not in location:
        try:
            Path(location).mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a file there or above it, or no permission
            raise BankError(f"{path}: cannot make the bank's folder: "
                            f"{error.strerror or error}") from None
    version = lance_store.create(location, records, vectors, images, tables)
    if bank_format(location) == 1:
        _remove_format1(Path(location))
    return str(version)


def append_bank(path: str | Path, records: pa.Table, vectors: np.ndarray,
                images: Sequence[bytes | None], tables: dict[str, pa.Table],
                opened=None) -> tuple[str, object]:
    """Append new poses and new table rows to the format-2 bank at path; the new version's
    name and its poses dataset, open (opened: the one a Pictures holds, to reuse)."""
    location = location_of(path)
    if _is_format1(location):  # (a missing bank: lance_store.append says so)
        raise BankError(f"{path}: a format-1 bank is read-only; run `movemirror bank upgrade "
                        f"{path}` to convert it first")
    version, dataset = lance_store.append(location, records, vectors, images, tables, opened)
    return str(version), dataset


def history(path: str | Path) -> list[dict]:
    """The versions of a format-2 bank, oldest first (see lance_store.history)."""
    location = location_of(path)
    _require_format2(location, path)
    return lance_store.history(location)


def compact(path: str | Path) -> dict[str, tuple[int, int]]:
    """Merge a format-2 bank's small data files (see lance_store.compact)."""
    location = location_of(path)
    _require_format2(location, path)
    return lance_store.compact(location)


def prune(path: str | Path, keep_versions: int | None = None,
          older_than: timedelta | None = None) -> dict[str, tuple[int, int]]:
    """Remove a format-2 bank's old versions and their files (see lance_store.prune)."""
    location = location_of(path)
    _require_format2(location, path)
    return lance_store.prune(location, keep_versions, older_than)


def _require_format2(location: str, path) -> None:
    if bank_format(location) == 1:
        raise BankError(f"{path}: a format-1 bank has no versions; run `movemirror bank "
                        f"upgrade {path}` to convert it")


def upgrade(path: str | Path) -> tuple[int, int]:
    """Convert a format-1 bank to format 2 in place: write the Lance datasets (the pictures
    of thumbs/ included), then remove manifest.json, which switches the bank over in one
    step, then format 1's files. Returns (poses, pictures). A format-2 bank is left as it
    is (only leftovers of an interrupted upgrade are removed)."""
    location = location_of(path)
    found = bank_format(location)
    if found is None:  # named as the other bank commands name it: absolute, with why
        raise BankError(f"{location}: {lance_store.why_no_bank(location)}")
    if found == 2:
        if "://" not in location:
            _remove_format1(Path(location))
        stored = lance_store.read(location)
        return len(stored.vectors), 0
    if "://" in location:
        raise BankError(f"{path}: format-1 banks are local folders")
    old = read_bank(location)
    assert isinstance(old.records, pa.Table)  # format 1 reads them at once
    images = old.pictures.read(range(len(old.records)))
    lance_store.create(location, old.records, old.vectors, images, old.tables)
    _remove_format1(Path(location))
    return len(old.records), sum(image is not None for image in images)


def _remove_format1(folder: Path) -> None:
    """Format 1's files: the manifest first (the switch), then its data and thumbnails."""
    (folder / MANIFEST).unlink(missing_ok=True)
    for stale in folder.iterdir():
        if stale.is_file() and format1.is_format1_file(stale.name):
            stale.unlink(missing_ok=True)
    thumbs = folder / THUMBS
    if thumbs.is_dir():
        for file in sorted(thumbs.rglob("*"), reverse=True):
            file.rmdir() if file.is_dir() else file.unlink(missing_ok=True)
        thumbs.rmdir()


def thumbnail_path(entry_id: str) -> str:
    """A picture's name under the bank, its address (/bank/<name>): by the pose's id."""
    return f"{THUMBS}/{entry_id[:2]}/{entry_id.replace(':', '-')}.jpg"
