"""Prototype: pose coordinates normalised on the torso, and a distance over the body parts.

Move Mirror's vectors scale the box around the confident keypoints to 1, so one unsure
ankle moves every coordinate, and its weighted distance counts the five face keypoints as
much as the limbs and ignores the archive pose's own uncertainty. Here:
- the origin is the torso's centre (the mean of the confident shoulders and hips) and the
  unit is the body's spread (root-mean-square distance of the confident body joints from
  that centre) or the torso's length;
- the face weighs nothing; each body joint weighs its part weight times the confidence of
  both poses (or of the query's alone).
"""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from movemirror.vectors import MIN_SCORE

TORSO = tuple(KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip",
                                           "right_hip"))
SHOULDERS, HIPS = TORSO[:2], TORSO[2:]
FACE = tuple(range(5))
EXTREMITIES = tuple(KEYPOINT_INDEX[n] for n in ("left_wrist", "right_wrist", "left_ankle",
                                                 "right_ankle"))
# Each limb joint's parent: an unsure archive joint may be pulled toward it (shrink="parent").
PARENT = {KEYPOINT_INDEX[a]: KEYPOINT_INDEX[b] for a, b in (
    ("left_elbow", "left_shoulder"), ("right_elbow", "right_shoulder"),
    ("left_wrist", "left_elbow"), ("right_wrist", "right_elbow"),
    ("left_knee", "left_hip"), ("right_knee", "right_hip"),
    ("left_ankle", "left_knee"), ("right_ankle", "right_knee"))}
MAX_REACH = 4.0  # units from the centre; beyond, a coordinate is a wild guess: clipped


def part_weights(face: float = 0.0, extremities: float = 1.0) -> np.ndarray:
    weights = np.ones(NUM_KEYPOINTS)
    weights[list(FACE)] = face
    weights[list(EXTREMITIES)] = extremities
    return weights


def normalise(poses: np.ndarray, scale: str = "spread") -> tuple[np.ndarray, np.ndarray]:
    """(coordinates (N, 17, 2) in body units about the torso centre, usable (N,) bool).

    A pose is unusable without a confident shoulder or hip, or with no spread.
    """
    poses = np.asarray(poses, dtype=np.float64)
    xy, confident = poses[..., :2], poses[..., 2] >= MIN_SCORE
    torso = confident[:, TORSO]
    has_torso = torso.any(axis=1)
    weights = torso / np.maximum(torso.sum(axis=1, keepdims=True), 1)
    centre = (xy[:, TORSO] * weights[..., None]).sum(axis=1)
    centred = xy - centre[:, None]
    if scale == "spread":
        body = confident.copy()
        body[:, list(FACE)] = False
        radius2 = np.square(centred).sum(axis=2)
        unit = np.sqrt((radius2 * body).sum(axis=1) / np.maximum(body.sum(axis=1), 1))
    elif scale == "torso":
        s = (xy[:, SHOULDERS] * _share(confident[:, SHOULDERS])[..., None]).sum(axis=1)
        h = (xy[:, HIPS] * _share(confident[:, HIPS])[..., None]).sum(axis=1)
        unit = np.linalg.norm(s - h, axis=1)
    else:
        raise ValueError(f"unknown scale {scale!r}")
    usable = has_torso & (unit > 1e-6)
    unit = np.where(usable, unit, 1.0)
    return np.clip(centred / unit[:, None, None], -MAX_REACH, MAX_REACH), usable


def _share(mask: np.ndarray) -> np.ndarray:
    return mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)


def torso_distance(queries, archive, *, scale: str = "spread", both: bool = True,
                   face: float = 0.0, extremities: float = 1.0,
                   archive_floor: float = 0.0, shrink: str | None = None,
                   power: float = 1.0) -> np.ndarray:
    """(Q, N) weighted mean L1 distance of the normalised joints; inf for unusable poses.

    Weights: part weight x query confidence (x archive confidence, at least archive_floor,
    when `both`).
    """
    q_xy, q_ok = normalise(queries, scale)
    a_xy, a_ok = normalise(archive, scale)
    if shrink is not None:  # both sides, so that a pose is still at 0 from itself
        a_xy = shrink_unsure(a_xy, np.asarray(archive, np.float64)[..., 2], shrink)
        q_xy = shrink_unsure(q_xy, np.asarray(queries, np.float64)[..., 2], shrink)
    parts = part_weights(face, extremities)
    q_w = np.asarray(queries, np.float64)[..., 2] ** power * parts
    a_w = (np.maximum(np.asarray(archive, np.float64)[..., 2], archive_floor) if both
           else np.ones((len(a_xy), NUM_KEYPOINTS)))
    out = np.empty((len(q_xy), len(a_xy)))
    for i in range(len(q_xy)):
        w = q_w[i][None] * a_w  # (N, 17)
        diff = np.abs(q_xy[i][None] - a_xy).sum(axis=2)  # (N, 17)
        out[i] = (w * diff).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)
    out[~q_ok] = np.inf
    out[:, ~a_ok] = np.inf
    return out


def shrink_unsure(xy: np.ndarray, scores: np.ndarray, toward: str) -> np.ndarray:
    """Each joint moved toward a prior by (1 - its score): the torso centre ("centre") or,
    for limb joints, their parent joint as already shrunk ("parent"; torso joints: centre)."""
    scores = np.clip(scores, 0.0, 1.0)[..., None]
    if toward == "centre":
        return xy * scores
    out = xy * scores
    for joint in (5, 6, 11, 12, 7, 8, 13, 14, 9, 10, 15, 16):  # parents before children
        if joint in PARENT:
            prior = out[:, PARENT[joint]]
            out[:, joint] = scores[:, joint] * xy[:, joint] + (1 - scores[:, joint]) * prior
    return out
