"""What a client learns about a matched pose: id, image URL and attribution, as JSON."""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from urllib.parse import quote

from movemirror.bank import PoseBank
from movemirror.bank.schema import ID, MATCH_FIELDS, THUMBNAIL
from movemirror.server.matcher import Hit

THUMBNAIL_PREFIX = "/bank/"


class MatchFormatter:
    """Turns search hits into match dicts or ready-made JSON, caching each pose's part."""

    def __init__(self, bank: PoseBank, cache_size: int = 65_536):
        self.bank = bank
        names = set(bank.records.column_names)
        self._columns = {name: bank.records.column(name) for name in (ID, THUMBNAIL, *MATCH_FIELDS)
                         if name in names}
        self._static = lru_cache(maxsize=cache_size)(self._static_uncached)
        self._picture_rows: dict[str, int] | None = None  # built on the first picture served
        self._rows_lock = threading.Lock()

    def picture_row(self, name: str) -> int | None:
        """The row of the pose whose picture has this name (/bank/<name>), if any: the only
        names /bank/ serves."""
        with self._rows_lock:
            if self._picture_rows is None:
                column = self._columns.get(THUMBNAIL)
                names = column.to_pylist() if column is not None else []
                self._picture_rows = {n: row for row, n in enumerate(names) if n}
        return self._picture_rows.get(name)

    def _value(self, name: str, i: int):
        column = self._columns.get(name)
        return None if column is None else column[i].as_py()

    def _static_uncached(self, i: int) -> tuple[dict, str]:
        thumbnail = self._value(THUMBNAIL, i)
        info = {
            "id": str(self._value(ID, i)),
            "thumbnail": THUMBNAIL_PREFIX + quote(thumbnail) if thumbnail else None,
            **{name: self._value(name, i) for name in MATCH_FIELDS},
        }
        return info, json.dumps(info)[1:-1]

    def as_dicts(self, hits: list[Hit]) -> list[dict]:
        return [{**self._static(h.index)[0], "distance": h.distance, "mirrored": h.mirrored}
                for h in hits]

    def as_json(self, hits: list[Hit]) -> str:
        """The hits as a JSON array, built from cached fragments (the stream's hot path)."""
        parts = [
            f'{{"distance":{h.distance:.6g},"mirrored":{"true" if h.mirrored else "false"},'
            f"{self._static(h.index)[1]}}}"
            for h in hits
        ]
        return "[" + ",".join(parts) + "]"
