"""The torso-normalised distance prototype on real annotations."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.quality.metrics import POSE_METRICS
from movemirror.quality.torso import normalise, torso_distance


def _scored(truths: np.ndarray, seed: int = 0) -> np.ndarray:
    """Annotations with random confidences where annotated, as an estimator would give."""
    rng = np.random.default_rng(seed)
    poses = truths.copy()
    poses[..., 2] = np.where(truths[..., 2] > 0, rng.uniform(0.3, 1.0, truths.shape[:2]), 0.05)
    return poses


@pytest.mark.parametrize("name", [n for n in POSE_METRICS if n.startswith("torso")])
def test_a_pose_is_nearest_to_itself_and_nothing_is_nan(name, lspet_truths):
    poses = _scored(lspet_truths[:80])
    d = POSE_METRICS[name](poses, poses)
    assert not np.isnan(d).any()
    usable = np.isfinite(np.diag(d))
    assert usable.mean() > 0.9
    np.testing.assert_allclose(np.diag(d)[usable], 0.0, atol=1e-9)
    assert (d[usable][:, usable] >= 0).all()


def test_blind_to_position_and_size(lspet_truths):
    poses = _scored(lspet_truths[:60])
    moved = poses.copy()
    moved[..., :2] = moved[..., :2] * 0.4 + np.array([-25.0, 310.0])
    np.testing.assert_allclose(torso_distance(poses, poses[::-1]),
                               torso_distance(moved, poses[::-1]), rtol=1e-5, atol=1e-5)


def test_the_face_does_not_count(lspet_truths):
    poses = _scored(lspet_truths[:40])
    poses[:, :5, 2] = 0.9
    poses[:, :5, :2] = poses[:, 5:6, :2]
    moved_face = poses.copy()
    moved_face[:, :5, :2] += 200.0
    np.testing.assert_allclose(torso_distance(poses, poses), torso_distance(moved_face, poses),
                               atol=1e-12)


def test_a_pose_without_shoulders_and_hips_is_unusable(lspet_truths):
    poses = _scored(lspet_truths[:10])
    no_hips = poses.copy()
    no_hips[:, [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]], 2] = 0.0
    has_shoulder = (no_hips[:, 5:7, 2] >= 0.2).any(axis=1)
    assert (normalise(no_hips)[1] == has_shoulder).all()  # an upper body still counts
    no_torso = no_hips.copy()
    no_torso[:, [KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"]], 2] = 0.0
    assert not normalise(no_torso)[1].any()
    assert np.isinf(torso_distance(no_torso[:2], poses)).all()
