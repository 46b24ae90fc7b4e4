"""Linking a video's people across sampled frames into tracks, for movement search.

Greedy, frame by frame in time order: each pose joins the track whose last box it overlaps
most (box IoU at least MIN_IOU, as the deduplicator follows people), provided that track
was last seen at most MAX_GAP_SECONDS before and has no pose in this frame yet; otherwise it
starts a track. The gap allows for frames where a person stood still (their near-duplicate
poses are dropped) or was briefly missed.
"""

from __future__ import annotations

import numpy as np

from movemirror.boxes import MIN_IOU, iou
from movemirror.motion.tracks import MAX_GAP_SECONDS


def link_tracks(times, boxes, max_gap: float = MAX_GAP_SECONDS,
                min_iou: float = MIN_IOU) -> np.ndarray:
    """Track numbers (0, 1, ... in order of first appearance) for poses at frame times
    (N,) with boxes (N, 4) as x0, y0, x1, y1; poses of one frame share its time."""
    times = np.asarray(times, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(len(times), 4)
    out = np.full(len(times), -1, np.int64)
    last_box: list[np.ndarray] = []
    last_time: list[float] = []
    for t in np.unique(times):
        people = np.flatnonzero(times == t)
        live = [j for j in range(len(last_box)) if t - last_time[j] <= max_gap]
        pairs = sorted(((iou(boxes[p], last_box[j]), p, j) for p in people for j in live),
                       key=lambda pair: -pair[0])
        taken: set[int] = set()
        for overlap, p, j in pairs:
            if overlap < min_iou:
                break
            if out[p] < 0 and j not in taken:
                out[p] = j
                taken.add(j)
        for p in people:
            if out[p] < 0:
                out[p] = len(last_box)
                last_box.append(boxes[p])
                last_time.append(t)
            else:
                last_box[out[p]], last_time[out[p]] = boxes[p], t
    return out
