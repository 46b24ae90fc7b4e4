"""People's boxes (x0, y0, x1, y1, pixels of their frame): how much two overlap, and how much
is enough to be the same person from one sampled frame to the next (ingestion's deduplicator
and track linking, and movement search joining a track cut by a unit of work)."""

from __future__ import annotations

MIN_IOU = 0.3  # a box overlapping a person's last box this much is that person


def iou(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
