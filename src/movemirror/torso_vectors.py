"""Pose vectors normalised on the torso, for the "torso" distance.

Move Mirror's vectors (movemirror.vectors) scale the box around the confident keypoints, so
one unsure ankle moves every coordinate, and its distances count the five face keypoints as
much as the limbs. These vectors keep the same 52-float layout, with other contents:

- x/y (34): each keypoint relative to the torso's centre (the mean of the confident
  shoulders and hips), in units of the body's spread (the root-mean-square distance of the
  confident body joints from that centre), clipped to MAX_REACH; the face's are 0;
- weights (17): the keypoint's score times its part's weight (the face weighs 0), and their
  sum.

The "torso" distance is then Move Mirror's weighted L1 in this space (the query's weights
count): sum_k w_k (|dx_k| + |dy_k|) / sum_k w_k, searched exactly by the same index code.
Chosen on LSPET's tuning queries by `movemirror bench quality` (see docs/match-quality.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from movemirror.errors import PoseError
from movemirror.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from movemirror.vectors import (
    CONFIDENCE_SUM,
    CONFIDENCES,
    MIN_CONFIDENT_KEYPOINTS,
    MIN_SCORE,
    VECTOR_DIM,
    XY,
    XY_DIM,
    as_pose_array,
    pose_problems,
)

TORSO_KEYPOINTS: tuple[int, ...] = tuple(
    KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
FACE_KEYPOINTS: tuple[int, ...] = tuple(range(5))
# What each keypoint weighs, times its score: people judge a pose by the body, not the face.
PART_WEIGHTS = np.ones(NUM_KEYPOINTS, np.float32)
PART_WEIGHTS[list(FACE_KEYPOINTS)] = 0.0
# Body spreads from the centre; farther out a coordinate is a wild guess and is clipped.
MAX_REACH = 4.0
_MIN_SPREAD = 1e-6  # pixels


def torso_problems(keypoints, min_score: float = MIN_SCORE,
                   min_keypoints: int = MIN_CONFIDENT_KEYPOINTS) -> list[str | None]:
    """For each pose, None if it has a torso vector, else a message naming the problem."""
    poses = as_pose_array(keypoints)
    problems = pose_problems(poses, min_score, min_keypoints)
    _, spread, has_torso = _frame(np.nan_to_num(poses), min_score)
    for i, problem in enumerate(problems):
        if problem is not None:
            continue
        if not has_torso[i]:
            problems[i] = "no confident shoulder or hip to centre the pose on"
        elif spread[i] <= _MIN_SPREAD:
            problems[i] = "pose has zero extent: all confident body joints sit on one point"
    return problems


def to_torso_vectors(keypoints, min_score: float = MIN_SCORE,
                     min_keypoints: int = MIN_CONFIDENT_KEYPOINTS) -> np.ndarray:
    """Poses (17, 3) or (N, 17, 3) in pixels -> torso vectors (N, 52); PoseError on a pose
    that has none (see torso_problems)."""
    poses = as_pose_array(keypoints)
    for i, problem in enumerate(torso_problems(poses, min_score, min_keypoints)):
        if problem is not None:
            raise PoseError((f"pose {i}: " if len(poses) > 1 else "") + problem)
    centre, spread, _ = _frame(poses, min_score)
    xy = (poses[..., :2].astype(np.float64) - centre[:, None]) / spread[:, None, None]
    xy = np.clip(xy, -MAX_REACH, MAX_REACH)
    xy[:, list(FACE_KEYPOINTS)] = 0.0
    weights = poses[..., 2].astype(np.float64) * PART_WEIGHTS
    vectors = np.empty((len(poses), VECTOR_DIM), np.float32)
    vectors[:, XY] = xy.reshape(len(poses), XY_DIM)
    vectors[:, CONFIDENCES] = weights
    vectors[:, CONFIDENCE_SUM] = weights.sum(axis=1)
    return vectors


def _frame(poses: np.ndarray, min_score: float):
    """Per pose: the torso's centre (2,), the body's spread, and whether it has a torso."""
    xy = poses[..., :2].astype(np.float64)
    confident = poses[..., 2] >= min_score
    torso = confident[:, TORSO_KEYPOINTS]
    has_torso = torso.any(axis=1)
    share = torso / np.maximum(torso.sum(axis=1, keepdims=True), 1)
    centre = (xy[:, TORSO_KEYPOINTS] * share[..., None]).sum(axis=1)
    body = confident & (PART_WEIGHTS > 0)
    radius2 = np.square(xy - centre[:, None]).sum(axis=2)
    spread = np.sqrt((radius2 * body).sum(axis=1) / np.maximum(body.sum(axis=1), 1))
    return centre, spread, has_torso


def torso_vectors_where_possible(keypoints,
                                 min_score: float = MIN_SCORE) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (N, 52), usable (N,)) in one compiled pass: to_torso_vectors' vectors of the
    poses that have a torso (rows of the others are 0). Assumes poses movemirror.vectors
    accepts (a bank's, or a query already vectorised); for those, usable is torso_problems()
    is None. The same arithmetic in float64 as to_torso_vectors, summed in another order:
    the two agree to float32 rounding."""
    poses = as_pose_array(keypoints)
    vectors = np.zeros((len(poses), VECTOR_DIM), np.float32)
    usable = np.zeros(len(poses), np.bool_)
    _torso_rows(poses, np.float32(min_score), vectors, usable)
    return vectors, usable


_TORSO = np.array(TORSO_KEYPOINTS, np.int64)


@njit(cache=True, nogil=True)
def _torso_rows(poses, min_score, vectors, usable):
    for p in range(len(poses)):
        usable[p] = _torso_row(poses[p], min_score, vectors[p])


@njit(cache=True, nogil=True)
def _torso_row(pose, min_score, out) -> bool:
    """One pose's torso vector into out (52,); False (out untouched) if it has none."""
    cx = cy = 0.0
    count = 0
    for t in _TORSO:
        if pose[t, 2] >= min_score:
            cx += np.float64(pose[t, 0])
            cy += np.float64(pose[t, 1])
            count += 1
    if count == 0:
        return False
    cx /= count
    cy /= count
    total = 0.0
    body = 0
    for j in range(NUM_KEYPOINTS):
        if pose[j, 2] >= min_score and PART_WEIGHTS[j] > 0:
            dx, dy = np.float64(pose[j, 0]) - cx, np.float64(pose[j, 1]) - cy
            total += dx * dx + dy * dy
            body += 1
    spread = np.sqrt(total / max(body, 1))
    if spread <= _MIN_SPREAD:
        return False
    weight_sum = 0.0
    for j in range(NUM_KEYPOINTS):
        if PART_WEIGHTS[j] > 0:
            x = (np.float64(pose[j, 0]) - cx) / spread
            y = (np.float64(pose[j, 1]) - cy) / spread
            out[2 * j] = min(max(x, -MAX_REACH), MAX_REACH)
            out[2 * j + 1] = min(max(y, -MAX_REACH), MAX_REACH)
        else:
            out[2 * j] = 0.0
            out[2 * j + 1] = 0.0
        weight = np.float64(pose[j, 2]) * np.float64(PART_WEIGHTS[j])
        out[XY_DIM + j] = weight
        weight_sum += weight
    out[CONFIDENCE_SUM] = weight_sum
    return True
