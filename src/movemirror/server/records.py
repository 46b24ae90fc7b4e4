"""What a client learns about a matched pose: id, image URL, where the pose lies in that image,
file name and attribution, as JSON.

Never the source's path: it says where the archive lives on the server (`../shared/...`).
A client gets the file's name and the origin the archive's owner chose to publish.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from movemirror.bank import PoseBank
from movemirror.bank.schema import ID, KEYPOINTS, MATCH_FIELDS, THUMBNAIL
from movemirror.server.matcher import Hit

if TYPE_CHECKING:
    from movemirror.motion.search import MotionMatch

THUMBNAIL_PREFIX = "/bank/"
SOURCE = "source"
FILE = "file"  # what a match says of its source: the name, without the folders


def file_name(source: str | None) -> str | None:
    """The last part of a path, whichever separator it was written with."""
    return re.split(r"[\\/]", source)[-1] or None if source else None


THUMB_BOX = "thumb_box"  # the part of the source the image shows, in the keypoints' pixels


def image_pose(keypoints, thumb_box) -> list[list[float]] | None:
    """The pose in its image: 17 [x, y, score], x and y as fractions of the image's width and
    height (so the page can draw it over the image at any size); None without a box."""
    if keypoints is None or not thumb_box or len(thumb_box) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in thumb_box)
    if x1 <= x0 or y1 <= y0:
        return None
    flat = [float(v) for v in keypoints]
    return [[round((flat[i] - x0) / (x1 - x0), 4), round((flat[i + 1] - y0) / (y1 - y0), 4),
             round(flat[i + 2], 2)] for i in range(0, len(flat), 3)]


def source_pose(keypoints) -> list[list[float]] | None:
    """The pose as the bank holds it: 17 [x, y, score], x and y in pixels of its source (to
    0.1 px), so that a match without a picture can still be drawn."""
    if keypoints is None:
        return None
    flat = [float(v) for v in keypoints]
    return [[round(flat[i], 1), round(flat[i + 1], 1), round(flat[i + 2], 2)]
            for i in range(0, len(flat), 3)]


class MatchFormatter:
    """Turns search hits into match dicts or ready-made JSON, caching each pose's part."""

    def __init__(self, bank: PoseBank, cache_size: int = 65_536):
        self.bank = bank
        names = set(bank.records.column_names)
        wanted = (ID, THUMBNAIL, SOURCE, KEYPOINTS, THUMB_BOX, *MATCH_FIELDS)
        self._columns = {name: bank.records.column(name) for name in wanted if name in names}
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
        keypoints = self._value(KEYPOINTS, i)
        placed = image_pose(keypoints, self._value(THUMB_BOX, i))
        info = {
            "id": str(self._value(ID, i)),
            "thumbnail": THUMBNAIL_PREFIX + quote(thumbnail) if thumbnail else None,
            FILE: file_name(self._value(SOURCE, i)),
            **{name: self._value(name, i) for name in MATCH_FIELDS},
            "image_pose": placed,
            # Only where image_pose cannot give the pose: it would add half to every reply.
            KEYPOINTS: source_pose(keypoints) if placed is None else None,
        }
        return info, json.dumps(info)[1:-1]

    def describe(self, i: int) -> dict:
        """What a client is told of bank pose i: id, thumbnail URL and MATCH_FIELDS."""
        return dict(self._static(i)[0])

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

    def motion_as_json(self, found: list[MotionMatch]) -> str:
        """Movement matches as a JSON array: each window's track, start, end, speed, distance
        and mirrored, then what as_json tells of its pose at the start."""
        parts = [
            f'{{"track":{json.dumps(m.track)},"start":{m.start:.6g},"end":{m.end:.6g},'
            f'"speed":{m.speed:.4g},"distance":{m.distance:.6g},'
            f'"mirrored":{"true" if m.mirrored else "false"},{self._static(m.row)[1]}}}'
            for m in found
        ]
        return "[" + ",".join(parts) + "]"
