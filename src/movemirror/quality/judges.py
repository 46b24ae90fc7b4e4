"""Two judges of "does this pose look like that one", independent of any search distance.

Both compare TRUE (annotated) poses, (17, 3) arrays whose third column is 1 where the joint is
annotated and 0 where it is not, on the 12 body joints only (LSPET has no face keypoints).
Lower is more alike; NaN where the two poses share too little to compare.

- limb_direction: the mean angle (degrees, 0..180) between the directions of the body
  segments annotated in both poses. Sees only directions: blind to limb lengths and position.
- joint_position: the mean distance between the joints annotated in both poses, after
  centring each pose on those joints and scaling each to the same root-mean-square size (no
  rotation: a pose turned on its side is a different pose), in units of the first pose's torso.
  Sees where the joints are, so it also weighs how far a limb reaches.
"""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import BODY_KEYPOINTS, BODY_SEGMENTS, KEYPOINT_INDEX

MIN_COMMON_SEGMENTS = 3
MIN_COMMON_JOINTS = 4
_BODY = np.array(BODY_KEYPOINTS)
_SHOULDERS = (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"])
_HIPS = (KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"])
_START = np.array([a for a, _ in BODY_SEGMENTS])  # the limb-direction judge's segments
_END = np.array([b for _, b in BODY_SEGMENTS])


def _poses(poses) -> np.ndarray:
    array = np.asarray(poses, dtype=np.float64)
    return array[None] if array.ndim == 2 else array


def segment_angles(poses) -> tuple[np.ndarray, np.ndarray]:
    """Per pose and segment, its direction in radians and whether both ends are annotated
    (and apart): (angles (N, S), valid (N, S))."""
    poses = _poses(poses)
    vectors = poses[:, _END, :2] - poses[:, _START, :2]
    annotated = (poses[:, _START, 2] > 0) & (poses[:, _END, 2] > 0)
    valid = annotated & (np.hypot(vectors[..., 0], vectors[..., 1]) > 0)
    return np.arctan2(vectors[..., 1], vectors[..., 0]), valid


def limb_direction(query, candidates) -> np.ndarray:
    """Mean angle in degrees between query's and each candidate's common segments: (N,)."""
    q_angle, q_valid = segment_angles(query)
    c_angle, c_valid = segment_angles(candidates)
    both = q_valid & c_valid
    diff = np.abs(np.angle(np.exp(1j * (c_angle - q_angle))))
    count = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(both, diff, 0.0).sum(axis=1) / count
    return np.where(count >= MIN_COMMON_SEGMENTS, np.degrees(mean), np.nan)


def joint_position(query, candidates) -> np.ndarray:
    """Mean joint distance after aligning position and size, in query torsos: (N,).

    NaN for every candidate when the query has no torso (no shoulder or no hip annotated).
    """
    query = _poses(query)[0]
    candidates = _poses(candidates)
    torso = torso_length(query)
    if torso is None:
        return np.full(len(candidates), np.nan)
    q = query[_BODY]
    c = candidates[:, _BODY]
    both = (q[None, :, 2] > 0) & (c[..., 2] > 0)  # (N, 12)
    count = both.sum(axis=1)
    weights = both / np.maximum(count, 1)[:, None]
    q_xy = np.broadcast_to(q[None, :, :2], c[..., :2].shape)
    q_n, q_rms = _normalise(q_xy, weights)
    c_n, _ = _normalise(c[..., :2], weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = (np.linalg.norm(q_n - c_n, axis=2) * weights).sum(axis=1)
        score = error * q_rms / torso
    return np.where((count >= MIN_COMMON_JOINTS) & np.isfinite(score), score, np.nan)


def torso_length(pose) -> float | None:
    """The mean distance over the annotated shoulder-hip pairs (sides and diagonals), or None.

    Wider than PCK's torso (one diagonal, movemirror.pose.metrics.torso_size), which a fifth
    of LSPET's photos lack: any shoulder with any hip will do for a unit of length.
    """
    pose = np.asarray(pose, dtype=np.float64)
    lengths = [np.linalg.norm(pose[s, :2] - pose[h, :2])
               for s in _SHOULDERS for h in _HIPS if pose[s, 2] > 0 and pose[h, 2] > 0]
    length = float(np.mean(lengths)) if lengths else 0.0
    return length if length > 0 else None


def _normalise(xy: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre each row's weighted joints on their mean and scale them to unit RMS radius."""
    centre = (xy * weights[..., None]).sum(axis=1, keepdims=True)
    centred = xy - centre
    rms = np.sqrt((np.square(centred).sum(axis=2) * weights).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return centred / rms[:, None, None], rms
