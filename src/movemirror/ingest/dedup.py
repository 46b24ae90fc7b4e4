"""Dropping near-duplicate poses between consecutive sampled frames of a video.

A person standing still yields the same pose frame after frame: it adds nothing to a
search but makes results repetitive. Each person is followed by box overlap from one
sampled frame to the next, and a pose is kept only if it differs from the last pose kept
for that person by at least `threshold` (Move Mirror's cosine distance, 0 = identical,
2 = opposite). Comparing with the last *kept* pose, not the previous one, keeps a slow
drift from slipping through as a chain of tiny steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movemirror.boxes import MIN_IOU, iou
from movemirror.distances import cosine_distance

DEFAULT_THRESHOLD = 0.08
TRACK_TIMEOUT = 1.0  # seconds unseen after which a person is forgotten


@dataclass
class _Track:
    box: np.ndarray
    kept_vector: np.ndarray
    last_seen: float


@dataclass
class Deduplicator:
    threshold: float = DEFAULT_THRESHOLD
    tracks: list[_Track] = field(default_factory=list)

    def frame(self, t: float, vectors, boxes) -> list[bool]:
        """Whether to keep each pose of the frame at time t (vectors (P, 52), boxes (P, 4))."""
        self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= TRACK_TIMEOUT]
        keep = []
        claimed: set[int] = set()
        for vector, box in zip(vectors, boxes, strict=True):
            box = np.asarray(box, dtype=np.float64)
            track = self._match(box, claimed)
            if track is None:
                self.tracks.append(_Track(box, np.asarray(vector), t))
                claimed.add(len(self.tracks) - 1)
                keep.append(True)
                continue
            claimed.add(track)
            tr = self.tracks[track]
            tr.box, tr.last_seen = box, t
            distinct = self.threshold <= 0 or (
                cosine_distance(vector, tr.kept_vector)[0, 0] >= self.threshold)
            if distinct:
                tr.kept_vector = np.asarray(vector)
            keep.append(bool(distinct))
        return keep

    def _match(self, box: np.ndarray, claimed: set[int]) -> int | None:
        best, best_iou = None, MIN_IOU
        for i, tr in enumerate(self.tracks):
            if i not in claimed and (overlap := iou(box, tr.box)) >= best_iou:
                best, best_iou = i, overlap
        return best
