"""Pose vectors in Move Mirror's 52-float layout.

Each pose is cropped to the bounding box of its confident keypoints, scaled so the box's
longer side is 1, and its 34 x/y values are L2-normalised. The layout is
[x0, y0, ..., x16, y16, c0, ..., c16, sum(c)]: the 17 confidences and their sum ride along
for the confidence-weighted distance.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from movemirror.errors import PoseError
from movemirror.keypoints import MIRROR_PERMUTATION, NUM_KEYPOINTS

XY_DIM = 2 * NUM_KEYPOINTS  # 34
VECTOR_DIM = XY_DIM + NUM_KEYPOINTS + 1  # 52
XY = slice(0, XY_DIM)
CONFIDENCES = slice(XY_DIM, XY_DIM + NUM_KEYPOINTS)
CONFIDENCE_SUM = XY_DIM + NUM_KEYPOINTS

MIN_SCORE = 0.2  # a keypoint at or above this score counts as confident
MIN_CONFIDENT_KEYPOINTS = 5
_MIN_EXTENT = np.float32(1e-6)  # pixels; a box smaller than this has no shape


def pose_numbers(keypoints) -> np.ndarray:
    """keypoints as a float32 array of any shape; PoseError if they are not numbers."""
    try:
        return np.asarray(keypoints, dtype=np.float32)
    except (TypeError, ValueError) as error:  # text, None among numbers, ragged lists, a dict
        raise PoseError(f"poses must be numbers of shape (17, 3) or (N, 17, 3): {error}"
                        ) from None


_FLOAT32 = np.dtype(np.float32)
_POSE_SHAPE = (NUM_KEYPOINTS, 3)


def as_pose_array(keypoints) -> np.ndarray:
    """Return keypoints as float32 (N, 17, 3); a single (17, 3) pose becomes N = 1."""
    if (type(keypoints) is np.ndarray and keypoints.dtype is _FLOAT32
            and keypoints.flags.c_contiguous):
        # What a server passes: what the general path returns (the same array, or a view of
        # one pose as a batch of one) without its conversions (one pose: 0.26 against
        # 0.55-0.96 us).
        if keypoints.shape == _POSE_SHAPE:
            return keypoints[None]
        if keypoints.ndim == 3 and keypoints.shape[1:] == _POSE_SHAPE:
            return keypoints
    array = pose_numbers(keypoints)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (NUM_KEYPOINTS, 3):
        raise PoseError(
            f"expected poses of shape (17, 3) or (N, 17, 3), got shape {tuple(array.shape)}"
        )
    # C-contiguous (a copy only of a strided view, as mirror_keypoints' is): numba compiles
    # its kernels once more for each array layout they are called with.
    return np.ascontiguousarray(array)


def as_pose_batch(keypoints) -> np.ndarray:
    """as_pose_array, but an empty input ([] as well as (0, 17, 3)) is a batch of no poses;
    PoseError for any other shape (never reshaped: that would scramble the keypoints)."""
    array = pose_numbers(keypoints)
    if array.size == 0 and array.ndim < 3:
        return np.empty((0, NUM_KEYPOINTS, 3), np.float32)
    return as_pose_array(array)


def pose_problems(
    keypoints,
    min_score: float = MIN_SCORE,
    min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
) -> list[str | None]:
    """For each pose, None if it can be vectorised, else a message naming the problem."""
    poses = as_pose_array(keypoints)
    codes, counts, _, first_bad = check_and_vectorise(poses, np.float32(min_score),
                                                       min_keypoints, False)
    if first_bad < 0:
        return [None] * len(poses)
    return [_message(code, count, min_score, min_keypoints)
            for code, count in zip(codes.tolist(), counts.tolist(), strict=True)]


def to_vectors(
    keypoints,
    min_score: float = MIN_SCORE,
    min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
) -> np.ndarray:
    """Turn poses (17, 3) or (N, 17, 3) into vectors (N, 52); raise PoseError on a bad pose."""
    poses = as_pose_array(keypoints)
    codes, counts, vectors, i = check_and_vectorise(poses, np.float32(min_score), min_keypoints,
                                                     True)
    _raise_for_bad_pose(i, len(poses), codes, counts, min_score, min_keypoints)
    return vectors


def _raise_for_bad_pose(i: int, poses: int, codes, counts, min_score: float,
                        min_keypoints: int) -> None:
    """PoseError naming pose i (of `poses`) and its problem, when the check found one (i >= 0)."""
    if i >= 0:
        where = f"pose {i}: " if poses > 1 else ""
        raise PoseError(where + str(_message(codes[i], counts[i], min_score, min_keypoints)))


def to_vectors_mirrored(
    keypoints,
    min_score: float = MIN_SCORE,
    min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
) -> tuple[np.ndarray, np.ndarray]:
    """(to_vectors(keypoints), to_vectors(mirror_keypoints(keypoints))) in one compiled call,
    bitwise the same; PoseError on a bad pose (a pose and its mirror image are bad alike)."""
    poses = as_pose_array(keypoints)
    both = with_mirror_images(poses)
    codes, counts, vectors, i = check_and_vectorise(both, np.float32(min_score), min_keypoints,
                                                     True)
    _raise_for_bad_pose(i, len(poses), codes, counts, min_score, min_keypoints)
    return vectors[: len(poses)], vectors[len(poses):]


_MIRROR = np.array(MIRROR_PERMUTATION, np.int64)


@njit(cache=True, nogil=True)
def with_mirror_images(poses):
    """The poses (N, 17, 3), then each mirrored left to right as mirror_keypoints does it
    (x negated, left and right keypoints swapped): (2N, 17, 3)."""
    n = len(poses)
    out = np.empty((2 * n, NUM_KEYPOINTS, 3), np.float32)
    for p in range(n):
        for j in range(NUM_KEYPOINTS):
            source = _MIRROR[j]
            for c in range(3):
                out[p, j, c] = poses[p, j, c]
                out[n + p, j, c] = poses[p, source, c]
            out[n + p, j, 0] = -poses[p, source, 0]
    return out


_OK, _NOT_FINITE, _BAD_SCORE, _TOO_FEW, _NO_EXTENT = range(5)


def _message(code: int, count: int, min_score: float, min_keypoints: int) -> str | None:
    """What is wrong with a pose of that problem code; None for _OK."""
    if code == _NOT_FINITE:
        return "pose has non-finite values (NaN or infinity)"
    if code == _BAD_SCORE:
        return "keypoint scores must lie in [0, 1]"
    if code == _TOO_FEW:
        return (f"only {count} confident keypoints (score >= {min_score}); "
                f"at least {min_keypoints} are needed")
    if code == _NO_EXTENT:
        return "pose has zero extent: all confident keypoints sit on one point"
    return None


@njit(cache=True, nogil=True)
def check_and_vectorise(poses, min_score, min_keypoints, vectorise):
    """Per pose: its problem code (_OK if none), its count of confident keypoints and, when
    vectorise is set, its vector (rows of bad poses are left unset); and the first bad pose's
    row, -1 if none (so one good pose costs no numpy call to find out).

    One compiled pass, so one pose costs microseconds rather than a numpy call per step. The
    arithmetic is the numpy formulation's, operation for operation: float32 for the box, the
    scaling and the clip, float64 for the norm, summed in numpy's pairwise order, so vectors
    are bitwise what numpy gave.
    """
    n = len(poses)
    codes = np.zeros(n, np.int8)
    counts = np.zeros(n, np.int64)
    vectors = np.empty((n if vectorise else 0, VECTOR_DIM), np.float32)
    zero = np.float32(0.0)
    xy = np.empty(XY_DIM, np.float64)
    for p in range(n):
        pose = poses[p]
        finite = True
        for j in range(NUM_KEYPOINTS):
            for c in range(3):
                finite &= np.isfinite(pose[j, c])
        if not finite:
            codes[p] = _NOT_FINITE
            continue
        bad_score = False
        count = 0
        lo_x, lo_y = np.float32(np.inf), np.float32(np.inf)
        hi_x, hi_y = np.float32(-np.inf), np.float32(-np.inf)
        for j in range(NUM_KEYPOINTS):
            score = pose[j, 2]
            bad_score |= (score < 0) | (score > 1)
            if score >= min_score:
                count += 1
                lo_x, hi_x = min(lo_x, pose[j, 0]), max(hi_x, pose[j, 0])
                lo_y, hi_y = min(lo_y, pose[j, 1]), max(hi_y, pose[j, 1])
        counts[p] = count
        if bad_score:
            codes[p] = _BAD_SCORE
            continue
        if count < min_keypoints:
            codes[p] = _TOO_FEW
            continue
        width, height = hi_x - lo_x, hi_y - lo_y
        side = max(width, height)
        if side <= _MIN_EXTENT:
            codes[p] = _NO_EXTENT
            continue
        if not vectorise:
            continue
        # Unconfident keypoints are guesses; clipping keeps a wild guess from dominating.
        top_x, top_y = width / side, height / side
        for j in range(NUM_KEYPOINTS):
            xy[2 * j] = np.float64(min(max((pose[j, 0] - lo_x) / side, zero), top_x))
            xy[2 * j + 1] = np.float64(min(max((pose[j, 1] - lo_y) / side, zero), top_y))
        norm = np.sqrt(_pairwise_sum_of_squares(xy))
        out = vectors[p]
        for d in range(XY_DIM):
            out[d] = np.float32(xy[d] / norm)
        for j in range(NUM_KEYPOINTS):
            out[XY_DIM + j] = pose[j, 2]
        out[CONFIDENCE_SUM] = _pairwise_sum_of_scores(pose)
    first_bad = -1
    for p in range(n):
        if codes[p] != _OK:
            first_bad = p
            break
    return codes, counts, vectors, first_bad


@njit(cache=True, inline="always")
def _pairwise_sum_of_squares(values):
    """sum(values ** 2) in the order numpy's add.reduce takes a short contiguous row: eight
    running sums, combined as a tree, then the remainder one by one."""
    partial = np.empty(8, np.float64)
    for j in range(8):
        partial[j] = values[j] * values[j]
    stop = len(values) - len(values) % 8
    for i in range(8, stop, 8):
        for j in range(8):
            partial[j] += values[i + j] * values[i + j]
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7]))
    for i in range(stop, len(values)):
        total += values[i] * values[i]
    return total


@njit(cache=True, inline="always")
def _pairwise_sum_of_scores(pose):
    """The pose's scores summed in float32 as numpy's add.reduce sums 17 of them."""
    partial = np.empty(8, np.float32)
    for j in range(8):
        partial[j] = pose[j, 2]
    for j in range(8):
        partial[j] += pose[8 + j, 2]
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7]))
    return total + pose[16, 2]
