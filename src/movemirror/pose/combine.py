"""Combining two models' poses of the same person, keypoint by keypoint."""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX

_DIAGONALS = (
    (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]),
    (KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]),
)
# Where BlazePose helps MoveNet: the limbs. Its face points and hips follow other conventions
# than COCO's (its hips sit higher and wider); combining those lowered COCO keypoint AP from
# 0.279 to 0.226, combining only the limbs gave 0.281 (and LSPET PCK 0.650 against 0.648).
LIMB_KEYPOINTS = tuple(
    KEYPOINT_INDEX[f"{side}_{joint}"]
    for joint in ("elbow", "wrist", "knee", "ankle")
    for side in ("left", "right")
)


def combine_poses(
    first: np.ndarray,
    second: np.ndarray,
    agree: float = 0.3,
    keypoints: tuple[int, ...] = LIMB_KEYPOINTS,
) -> np.ndarray:
    """The first (17, 3) pose with `keypoints` combined with the second pose's: where the two
    agree (within `agree` x the first pose's torso diagonal), their score-weighted mean with
    the higher score; where they disagree, the more confident one. Two models rarely make the
    same mistake, and each is more often confident where it is right than where it is wrong."""
    torso = max(max(float(np.linalg.norm(first[a, :2] - first[b, :2])) for a, b in _DIAGONALS),
                1.0)
    out = np.array(first, dtype=np.float32)
    chosen = np.zeros(len(first), dtype=bool)
    chosen[list(keypoints)] = True
    close = np.linalg.norm(first[:, :2] - second[:, :2], axis=1) < agree * torso
    weights = np.stack([first[:, 2], second[:, 2]]) + 1e-6
    mean = (weights[0, :, None] * first[:, :2] + weights[1, :, None] * second[:, :2]) / (
        weights.sum(axis=0)[:, None]
    )
    average = chosen & close
    out[average, :2] = mean[average]
    out[average, 2] = np.maximum(first[average, 2], second[average, 2])
    take_second = chosen & ~close & (second[:, 2] > first[:, 2])
    out[take_second] = second[take_second]
    return out
