"""A limb-angle distance between poses: how far apart the directions of their body
segments are. A prototype (tried as a term of "likeness"'s second stage, not kept:
docs/match-quality.md), measured by `movemirror bench quality` as the pose metric
"torso+angles" (movemirror.quality.metrics).

The body segments are the skeleton's edges between body keypoints (the limbs and the torso's
four sides; the face's are left out). Per segment, its direction in the image (radians) and
whether it is there: both ends at or above MIN_SCORE. Between a query and a bank pose, the
mean of the angles between their segments (0..pi, each wrapped), each weighted by how sure
the query is of it (the lower score of its two ends) and counted only where the bank pose has
it too; 0 when they share none. Like the torso distance, it is blind to where the pose stands
and to its size; unlike it, an unsure joint far from the torso moves one angle, not a
position measured in body spreads.
"""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import BODY_SEGMENTS
from movemirror.vectors import MIN_SCORE

START = np.array([a for a, _ in BODY_SEGMENTS], np.int64)
END = np.array([b for _, b in BODY_SEGMENTS], np.int64)
# The weight of this distance (radians) added to the torso distance (body spreads) in
# "torso+angles": among likeness's 10 candidates both have a median near 0.4. Chosen on the
# tuning queries.
ANGLE_WEIGHT = 0.3


def segment_directions(poses, min_score: float = MIN_SCORE) -> tuple[np.ndarray, np.ndarray]:
    """Poses (N, 17, 3) -> (directions (N, S) radians, weights (N, S): the lower score of
    each segment's ends, 0 where that is under min_score)."""
    poses = np.asarray(poses, np.float64).reshape(-1, 17, 3)
    vectors = poses[:, END, :2] - poses[:, START, :2]
    weights = np.minimum(poses[:, START, 2], poses[:, END, 2])
    return (np.arctan2(vectors[..., 1], vectors[..., 0]),
            np.where(weights >= min_score, weights, 0.0))


def limb_angle_distance(queries, bank) -> np.ndarray:
    """(Q, N): the query-weighted mean angle (radians) between each query's and each bank
    pose's common segments; 0 where they share none. Not symmetric: the query's scores weigh."""
    q_dir, q_w = segment_directions(queries)
    b_dir, b_w = segment_directions(bank)
    diff = np.abs(q_dir[:, None] - b_dir[None]) % (2 * np.pi)
    diff = np.minimum(diff, 2 * np.pi - diff)
    weights = q_w[:, None] * (b_w[None] > 0)
    total = weights.sum(axis=2)
    return np.where(total > 0, (diff * weights).sum(axis=2) / np.where(total > 0, total, 1), 0.0)
