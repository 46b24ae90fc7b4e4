"""The limb-angle term of "likeness" (movemirror.quality.limb_angles) on real LSPET poses."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.keypoints import BODY_SEGMENTS, KEYPOINT_INDEX, mirror_keypoints
from movemirror.quality.limb_angles import limb_angle_distance
from movemirror.vectors import MIN_SCORE


@pytest.fixture(scope="module")
def poses(lspet_truths) -> np.ndarray:
    """LSPET's poses with uneven confidences, as estimated poses have (seeded)."""
    rng = np.random.default_rng(5)
    out = lspet_truths[:60].copy()
    out[..., 2] *= rng.uniform(0.1, 1.0, out.shape[:2])
    return out


def test_the_segments_are_the_bodys_twelve():
    assert len(BODY_SEGMENTS) == 12


def test_distances_are_angles_and_finite(poses):
    found = limb_angle_distance(poses[:10], poses[10:])
    assert found.shape == (10, 50)
    assert np.isfinite(found).all() and (found >= 0).all() and (found <= np.pi).all()
    assert (found > 0).mean() > 0.9


def test_blind_to_position_and_size_not_to_turning(poses):
    moved = poses.copy()
    moved[..., :2] = moved[..., :2] * 2.5 + 40.0
    np.testing.assert_allclose(np.diag(limb_angle_distance(poses, moved)), 0.0, atol=1e-6)
    turned = poses.copy()  # a quarter turn: every shared segment 90 degrees off
    turned[..., 0], turned[..., 1] = -poses[..., 1], poses[..., 0]
    np.testing.assert_allclose(np.diag(limb_angle_distance(poses, turned)), np.pi / 2,
                               rtol=1e-6)


def test_mirroring_both_sides_keeps_the_distance(poses):
    plain = limb_angle_distance(poses[:10], poses[10:])
    both = limb_angle_distance(mirror_keypoints(poses[:10]), mirror_keypoints(poses[10:]))
    np.testing.assert_allclose(both, plain, rtol=1e-9, atol=1e-12)


def test_only_segments_both_poses_are_sure_of_count(poses):
    query, other = poses[0].copy(), poses[1].copy()
    elbow, wrist = KEYPOINT_INDEX["left_elbow"], KEYPOINT_INDEX["left_wrist"]
    query[[elbow, wrist], 2] = 1.0
    other[[elbow, wrist], 2] = 1.0
    bent = other.copy()
    bent[wrist, :2] = 2 * bent[elbow, :2] - bent[wrist, :2]  # the forearm reversed
    assert limb_angle_distance(query, bent)[0, 0] > limb_angle_distance(query, other)[0, 0]
    unsure = query.copy()
    unsure[wrist, 2] = MIN_SCORE / 2  # the query no longer sees the forearm
    assert limb_angle_distance(unsure, bent)[0, 0] == limb_angle_distance(unsure, other)[0, 0]
    nothing = query.copy()
    nothing[:, 2] = 0.0  # no segment in common: 0, not NaN
    assert limb_angle_distance(nothing, other)[0, 0] == 0.0
