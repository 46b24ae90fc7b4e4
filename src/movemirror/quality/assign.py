"""Which estimated person in a photo is the annotated one: the entry agreeing on most joints."""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import BODY_KEYPOINTS
from movemirror.pose.metrics import torso_size

AGREE_TORSOS = 0.5  # an estimated joint agrees when within this many torsos of the annotation
MIN_AGREEMENT = 0.5  # ... and the entry is the annotated person when half its joints agree


def annotated_person(entries, truth: np.ndarray) -> int | None:
    """Index of the entry (each (17, 3) in the photo's pixels) that is the annotated person,
    or None when none agrees with the annotation on at least half its annotated body joints."""
    truth = np.asarray(truth, dtype=np.float64)
    joints = [j for j in BODY_KEYPOINTS if truth[j, 2] > 0]
    if not joints or len(entries) == 0:
        return None
    scale = torso_size(truth)
    if scale is None:  # no torso diagonal: a quarter of the annotated body's larger side
        extent = truth[joints, :2].max(axis=0) - truth[joints, :2].min(axis=0)
        scale = 2.0 * float(extent.max())
    entries = np.asarray(entries, dtype=np.float64).reshape(-1, truth.shape[0], 3)
    dist = np.linalg.norm(entries[:, joints, :2] - truth[None, joints, :2], axis=2)
    agreement = (dist <= AGREE_TORSOS * scale).mean(axis=1)
    best = int(np.argmax(agreement))
    return best if agreement[best] >= MIN_AGREEMENT else None
