"""Re-ranking the best windows by how they agree with one another (no labels: geometry).

The search's best windows, one per track, are each resampled at the movement's times as poses
of the movement's side (a window found by the mirrored movement mirrored back; the track's
nearest frame at each time): a small bank of W tracks of T poses. Scoring one of them, as a
movement, against that bank with the window distance (movemirror.motion.windows) gives how
far two windows are from each other, the same way a window is from the movement.
"""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import mirror_keypoints
from movemirror.motion.root import pose_roots, relative_roots


def window_poses(keypoints: np.ndarray, times: np.ndarray, first: np.ndarray,
                 stop: np.ndarray, track_of: np.ndarray, ends, speeds, flipped,
                 tau: np.ndarray) -> np.ndarray:
    """(W, T, 17, 3): each window (ends[w], speeds[w]) at the movement's times tau (T,),
    the track's nearest pose at each, mirrored where flipped[w]."""
    out = np.empty((len(ends), len(tau), *keypoints.shape[1:]), np.float32)
    for w, (e, s, f) in enumerate(zip(ends, speeds, flipped, strict=True)):
        j = track_of[e]
        track_times = times[first[j]:stop[j]]
        at = times[e] + s * tau
        after = np.clip(np.searchsorted(track_times, at), 1, len(track_times) - 1)
        nearer_before = at - track_times[after - 1] < track_times[after] - at
        poses = keypoints[first[j] + after - nearer_before]
        out[w] = mirror_keypoints(poses) if f else poses
    return out


def relative_window_roots(poses: np.ndarray) -> np.ndarray:
    """(W * T, 3) root trajectories of windows' poses (W, T, 17, 3), each relative to its
    window's last pose."""
    roots = pose_roots(poses.reshape(-1, *poses.shape[2:])).reshape(*poses.shape[:2], 3)
    return np.concatenate([relative_roots(r, r[-1]) for r in roots])


def consensus_scores(distances: np.ndarray, between: np.ndarray, nearest: int,
                     weight: float) -> np.ndarray:
    """Each window's distance from the movement plus weight x the mean of its `nearest`
    smallest distances to the other windows (between: (W, W), symmetrised here)."""
    between = (between + between.T) / 2
    np.fill_diagonal(between, np.inf)
    nearest = max(1, min(nearest, len(distances) - 1))
    crowd = np.sort(between, axis=1)[:, :nearest].mean(axis=1)
    return distances + weight * crowd
