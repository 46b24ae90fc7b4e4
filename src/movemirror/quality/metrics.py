"""Distances between poses as the quality benchmark calls them: (Q, 17, 3), (N, 17, 3) -> (Q, N).

"cosine" and "weighted" are Move Mirror's (movemirror.distances, on movemirror.vectors);
candidates for a better one are prototyped here as numpy brute force first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from movemirror.distances import METRICS, check_metric, distance
from movemirror.quality.limb_angles import ANGLE_WEIGHT, limb_angle_distance
from movemirror.quality.torso import torso_distance
from movemirror.vectors import to_vectors

PoseMetric = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _registered(name: str) -> PoseMetric:
    """A metric of movemirror.distances on its own vectors; inf where a pose has none."""
    metric = check_metric(name)

    def pose_metric(queries: np.ndarray, archive: np.ndarray) -> np.ndarray:
        q_ok = np.array([p is None for p in metric.problems(queries)], bool)
        a_ok = np.array([p is None for p in metric.problems(archive)], bool)
        out = np.full((len(queries), len(archive)), np.inf)
        if q_ok.any() and a_ok.any():
            found = distance(metric.vectorise(queries[q_ok]), metric.vectorise(archive[a_ok]),
                             name)
            out[np.ix_(q_ok, a_ok)] = found
        return out

    return pose_metric


def _without_face(poses: np.ndarray) -> np.ndarray:
    """The face keypoints unconfident and at the body box's corner (0 in the vector)."""
    poses = np.array(poses, dtype=np.float32)
    poses[:, :5, 2] = 0.0
    poses[:, :5, :2] = np.nanmin(poses[:, 5:, :2], axis=1, keepdims=True) - 1e6
    return poses


def _move_mirror_body(name: str) -> PoseMetric:
    def metric(queries: np.ndarray, archive: np.ndarray) -> np.ndarray:
        return distance(to_vectors(_without_face(queries)), to_vectors(_without_face(archive)),
                        name)

    return metric


def _torso(**options) -> PoseMetric:
    def metric(queries: np.ndarray, archive: np.ndarray) -> np.ndarray:
        return torso_distance(queries, archive, **options)

    return metric


def _torso_and_angles(queries: np.ndarray, archive: np.ndarray) -> np.ndarray:
    """The torso distance plus ANGLE_WEIGHT times the limb-angle distance
    (quality.limb_angles); inf where "torso" is. Tried as likeness's second stage
    (`.../torso+angles/mirror/rerank=10`), not kept."""
    return (_registered("torso")(queries, archive)
            + ANGLE_WEIGHT * limb_angle_distance(queries, archive))


POSE_METRICS: dict[str, PoseMetric] = {
    **{name: _registered(name) for name in METRICS},
    "torso+angles": _torso_and_angles,
    "cosine-noface": _move_mirror_body("cosine"),
    "weighted-noface": _move_mirror_body("weighted"),
    # Prototypes (movemirror.quality.torso): scale x whose confidences x part weights.
    "torso-spread-both": _torso(scale="spread", both=True),
    "torso-spread-query": _torso(scale="spread", both=False),
    "torso-length-both": _torso(scale="torso", both=True),
    "torso-spread-both-ext2": _torso(scale="spread", both=True, extremities=2.0),
    "torso-spread-both-face": _torso(scale="spread", both=True, face=0.3),
    "torso-spread-floor": _torso(scale="spread", both=True, archive_floor=0.3),
    "torso-spread-query-sq": _torso(scale="spread", both=False, power=2.0),
    "torso-spread-query-cube": _torso(scale="spread", both=False, power=3.0),
    "torso-spread-query-ext2": _torso(scale="spread", both=False, extremities=2.0),
    "torso-spread-query-face": _torso(scale="spread", both=False, face=0.3),
    "torso-length-query": _torso(scale="torso", both=False),
    "torso-shrink-centre": _torso(scale="spread", both=False, shrink="centre"),
    "torso-shrink-parent": _torso(scale="spread", both=False, shrink="parent"),
}

