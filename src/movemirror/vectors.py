"""Pose vectors in Move Mirror's 52-float layout.

Each pose is cropped to the bounding box of its confident keypoints, scaled so the box's
longer side is 1, and its 34 x/y values are L2-normalised. The layout is
[x0, y0, ..., x16, y16, c0, ..., c16, sum(c)]: the 17 confidences and their sum ride along
for the confidence-weighted distance.
"""

from __future__ import annotations

import numpy as np

from movemirror.errors import PoseError
from movemirror.keypoints import NUM_KEYPOINTS

XY_DIM = 2 * NUM_KEYPOINTS  # 34
VECTOR_DIM = XY_DIM + NUM_KEYPOINTS + 1  # 52
XY = slice(0, XY_DIM)
CONFIDENCES = slice(XY_DIM, XY_DIM + NUM_KEYPOINTS)
CONFIDENCE_SUM = XY_DIM + NUM_KEYPOINTS

MIN_SCORE = 0.2  # a keypoint at or above this score counts as confident
MIN_CONFIDENT_KEYPOINTS = 5
_MIN_EXTENT = 1e-6  # pixels; a box smaller than this has no shape


def as_pose_array(keypoints) -> np.ndarray:
    """Return keypoints as float32 (N, 17, 3); a single (17, 3) pose becomes N = 1."""
    array = np.asarray(keypoints, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (NUM_KEYPOINTS, 3):
        raise PoseError(
            f"expected poses of shape (17, 3) or (N, 17, 3), got shape {tuple(array.shape)}"
        )
    return array


def pose_problems(
    keypoints,
    min_score: float = MIN_SCORE,
    min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
) -> list[str | None]:
    """For each pose, None if it can be vectorised, else a message naming the problem."""
    poses = as_pose_array(keypoints)
    finite = np.isfinite(poses).all(axis=(1, 2))
    scores = np.nan_to_num(poses[..., 2])
    confident = scores >= min_score
    counts = confident.sum(axis=1)
    extents = _confident_extents(np.nan_to_num(poses), confident)
    problems: list[str | None] = []
    for i in range(len(poses)):
        if not finite[i]:
            problems.append("pose has non-finite values (NaN or infinity)")
        elif ((scores[i] < 0) | (scores[i] > 1)).any():
            problems.append("keypoint scores must lie in [0, 1]")
        elif counts[i] < min_keypoints:
            problems.append(
                f"only {counts[i]} confident keypoints (score >= {min_score}); "
                f"at least {min_keypoints} are needed"
            )
        elif extents[i] <= _MIN_EXTENT:
            problems.append("pose has zero extent: all confident keypoints sit on one point")
        else:
            problems.append(None)
    return problems


def _confident_extents(poses: np.ndarray, confident: np.ndarray) -> np.ndarray:
    lo, hi = _confident_box(poses, confident)
    return np.max(hi - lo, axis=1)


def _confident_box(poses: np.ndarray, confident: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pose, the (x, y) corners of the box around its confident keypoints."""
    xy = poses[..., :2]
    mask = confident[..., None]
    lo = np.where(mask, xy, np.inf).min(axis=1)
    hi = np.where(mask, xy, -np.inf).max(axis=1)
    none = ~confident.any(axis=1)
    lo[none] = 0.0
    hi[none] = 0.0
    return lo, hi


def to_vectors(
    keypoints,
    min_score: float = MIN_SCORE,
    min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
) -> np.ndarray:
    """Turn poses (17, 3) or (N, 17, 3) into vectors (N, 52); raise PoseError on a bad pose."""
    poses = as_pose_array(keypoints)
    for i, problem in enumerate(pose_problems(poses, min_score, min_keypoints)):
        if problem is not None:
            where = f"pose {i}: " if len(poses) > 1 else ""
            raise PoseError(where + problem)
    return _vectorise(poses, min_score)


def _vectorise(poses: np.ndarray, min_score: float) -> np.ndarray:
    scores = poses[..., 2]
    lo, hi = _confident_box(poses, scores >= min_score)
    side = np.max(hi - lo, axis=1)[:, None, None]
    # Unconfident keypoints are guesses; clipping keeps a wild guess from dominating the vector.
    xy = np.clip((poses[..., :2] - lo[:, None, :]) / side, 0.0, (hi - lo)[:, None, :] / side)
    xy = xy.reshape(len(poses), XY_DIM).astype(np.float64)
    xy /= np.linalg.norm(xy, axis=1, keepdims=True)
    vectors = np.empty((len(poses), VECTOR_DIM), dtype=np.float32)
    vectors[:, XY] = xy
    vectors[:, CONFIDENCES] = scores
    vectors[:, CONFIDENCE_SUM] = scores.sum(axis=1)
    return vectors
