"""The ledger of processed work, saved in the bank as its "sources" table (in format 2, a
second Lance dataset beside the poses: BANK/sources.lance, appended to at each commit).

One row per unit (a photo, or a stretch of a video) that was processed, committed right
after the unit's entries: a unit whose row is missing is redone by the next run, and its
entries, already in the bank if a crash fell between the two commits, are not added twice
(their ids are made from their content).
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

TABLE = "sources"
SCHEMA = pa.schema([
    ("hash", pa.string()),
    ("path", pa.string()),
    ("kind", pa.string()),
    ("start", pa.float64()),
    ("end", pa.float64()),
    ("segments", pa.int32()),
    ("status", pa.string()),  # "indexed": has entries; "empty": no pose kept; "skipped": unreadable
    ("reason", pa.string()),
    ("entries", pa.int32()),
    ("frames", pa.int32()),
    ("duplicates", pa.int32()),
    ("rejected", pa.int32()),
    ("size", pa.int64()),
    ("mtime_ns", pa.int64()),
    ("seconds", pa.float64()),
])


class Ledger:
    def __init__(self, table: pa.Table | None = None):
        self.rows: list[dict] = []
        self._units: dict[str, set[float]] = defaultdict(set)
        self._segments: dict[str, int] = {}
        self._by_path: dict[str, tuple[int, int, str]] = {}
        if table is not None:
            for row in table.to_pylist():
                self.add({name: row.get(name) for name in SCHEMA.names})

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self._units[row["hash"]].add(float(row["start"]))
        self._segments[row["hash"]] = int(row["segments"])
        if row.get("size") is not None:
            self._by_path[row["path"]] = (row["size"], row["mtime_ns"], row["hash"])

    def has_unit(self, content_hash: str, start: float) -> bool:
        return float(start) in self._units.get(content_hash, ())

    def is_complete(self, content_hash: str) -> bool:
        """Whether every unit of the file with this content has been processed."""
        segments = self._segments.get(content_hash)
        return segments is not None and len(self._units[content_hash]) >= segments

    def known_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The hash recorded for this path if the file looks unchanged (same size and time)."""
        known = self._by_path.get(path)
        return known[2] if known and known[:2] == (size, mtime_ns) else None

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=SCHEMA)
