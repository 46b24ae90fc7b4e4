"""Root motion: where a body is and how big, which per-pose vectors do not keep."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.root import pose_roots, relative_roots
from movemirror.vectors import to_vectors

FPS = 30.0


def clip_poses(penn_valid, clip: int) -> np.ndarray:
    keypoints, clip_of = penn_valid
    return keypoints[clip_of == clip]


def test_a_root_is_the_box_of_the_confident_keypoints(penn_valid):
    poses = clip_poses(penn_valid, 1)[:20].copy()
    poses[:, 0, 2] = 0.1  # an unconfident nose far away does not move the box
    poses[:, 0, :2] = -5000.0
    roots = pose_roots(poses)
    for pose, root in zip(poses, roots, strict=True):
        xy = pose[pose[:, 2] >= 0.2, :2].astype(np.float64)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        assert root[:2] == pytest.approx((lo + hi) / 2)
        assert root[2] == pytest.approx(np.log((hi - lo).max()))


def test_a_root_trajectory_ignores_where_the_person_stands_and_how_large(penn_valid):
    poses = clip_poses(penn_valid, 5)[:40]
    moved = poses.copy()
    moved[..., :2] = moved[..., :2] * 1.7 + np.array([120.0, -40.0], np.float32)
    roots, moved_roots = pose_roots(poses), pose_roots(moved)
    assert relative_roots(moved_roots, moved_roots[-1]) == pytest.approx(
        relative_roots(roots, roots[-1]), abs=1e-5)
    mirrored = pose_roots(mirror_keypoints(poses, image_width=640))
    flipped = relative_roots(mirrored, mirrored[-1])
    plain = relative_roots(roots, roots[-1])
    assert flipped[:, 0] == pytest.approx(-plain[:, 0], abs=1e-6)
    assert flipped[:, 1:] == pytest.approx(plain[:, 1:], abs=1e-6)


def test_a_movement_that_rises_finds_the_clip_that_rises(penn_valid):
    """Two tracks with the same box-normalised poses, one of them drifting down the frame
    by a box side a second: pose by pose and in their change they are alike, so only the
    root trajectory tells which moves like the movement."""
    poses = clip_poses(penn_valid, 12)[:90]
    times = np.arange(len(poses)) / FPS
    sides = np.exp(pose_roots(poses)[:, 2])
    drifting = poses.copy()
    drifting[..., 1] += (sides * times)[:, None].astype(np.float32)
    assert to_vectors(drifting) == pytest.approx(to_vectors(poses), abs=1e-5)
    bank = PoseBank.from_keypoints(np.concatenate([poses, drifting]),
                                   meta={"track": ["still"] * 90 + ["drifting"] * 90,
                                         "frame_time": np.r_[times, times]})
    window = slice(20, 80)
    for query, expected in ((poses, "still"), (drifting, "drifting")):
        found = bank.search_motion(query[window], times[window], k=2)
        assert [m.track for m in found] == [expected, {"still": "drifting",
                                                       "drifting": "still"}[expected]]
        assert found[0].distance < 1e-3
        assert found[1].distance > found[0].distance + 0.1
