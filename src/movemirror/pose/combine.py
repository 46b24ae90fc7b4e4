"""Combining two models' poses of the same person, keypoint by keypoint."""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX

_DIAGONALS = (
    (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]),
    (KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]),
)


def combine_poses(first: np.ndarray, second: np.ndarray, agree: float = 0.3) -> np.ndarray:
    """Per keypoint: where the two (17, 3) poses agree (within `agree` x the first pose's
    torso diagonal), their score-weighted mean with the higher score; where they disagree,
    the more confident one. Two models rarely make the same mistake, and each is confident
    where it is right more often than where it is wrong."""
    torso = max(max(np.linalg.norm(first[a, :2] - first[b, :2]) for a, b in _DIAGONALS), 1.0)
    out = np.array(first, dtype=np.float32)
    close = np.linalg.norm(first[:, :2] - second[:, :2], axis=1) < agree * torso
    weights = np.stack([first[:, 2], second[:, 2]]) + 1e-6
    mean = (weights[0, :, None] * first[:, :2] + weights[1, :, None] * second[:, :2]) / (
        weights.sum(axis=0)[:, None]
    )
    out[close, :2] = mean[close]
    out[close, 2] = np.maximum(first[close, 2], second[close, 2])
    take_second = ~close & (second[:, 2] > first[:, 2])
    out[take_second] = second[take_second]
    return out
