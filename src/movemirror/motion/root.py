"""Where a body is and how big, pose by pose: the root motion that per-pose vectors lose.

Each pose vector is normalised on its own box (movemirror.vectors), so a window of such
vectors cannot tell a squat from standing still with bent knees, or a jump from a crouch.
A pose's root is its box of confident keypoints (the box the vector was normalised on): its
centre x, y and the log of its longer side. A movement's root trajectory is each pose's root
relative to the last pose's: the centre's shift in units of the last pose's box side, and the
log of the size ratio, so it does not depend on where the person stands or how large they
appear (it does depend on the camera following them, as the poses' vectors do not).
"""

from __future__ import annotations

import numpy as np

from movemirror.vectors import MIN_SCORE, as_pose_array

ROOT_DIM = 3  # centre x, centre y, log side


def pose_roots(keypoints, min_score: float = MIN_SCORE) -> np.ndarray:
    """(N, 3) float64: each pose's box centre x, y and log longer side (pixels), its box that
    of its keypoints scored at least min_score (poses that vectorise have at least 5)."""
    poses = as_pose_array(keypoints).astype(np.float64)
    confident = poses[..., 2] >= min_score
    x, y = poses[..., 0], poses[..., 1]
    lo_x = np.where(confident, x, np.inf).min(axis=1)
    hi_x = np.where(confident, x, -np.inf).max(axis=1)
    lo_y = np.where(confident, y, np.inf).min(axis=1)
    hi_y = np.where(confident, y, -np.inf).max(axis=1)
    none = ~confident.any(axis=1)  # no box: the root of a pose that does not vectorise
    lo_x[none] = hi_x[none] = lo_y[none] = hi_y[none] = 0.0
    side = np.maximum(hi_x - lo_x, hi_y - lo_y)
    out = np.stack([(lo_x + hi_x) / 2, (lo_y + hi_y) / 2,
                    np.log(np.maximum(side, 1e-6))], axis=1)
    return np.ascontiguousarray(out)


def relative_roots(roots: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Roots (..., 3) relative to a reference root (3,): centre shift / reference side, log
    size ratio."""
    scale = np.exp(reference[2])
    out = np.empty_like(roots)
    out[..., :2] = (roots[..., :2] - reference[:2]) / scale
    out[..., 2] = roots[..., 2] - reference[2]
    return out
