"""The judges on real LSPET annotations: identical poses score 0, worse poses score more."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.keypoints import BODY_KEYPOINTS, mirror_keypoints
from movemirror.pose.metrics import torso_size
from movemirror.quality.judges import joint_position, limb_direction

JUDGES = (limb_direction, joint_position)


def _each(judge, queries, candidates) -> np.ndarray:
    return np.array([judge(q, c)[0] for q, c in zip(queries, candidates, strict=True)])


def _jitter(poses: np.ndarray, torsos: float, seed: int) -> np.ndarray:
    """Each annotated body joint moved by about `torsos` of its pose's torso, at random."""
    rng = np.random.default_rng(seed)
    out = poses.copy()
    for pose in out:
        size = torso_size(pose) or 50.0
        pose[list(BODY_KEYPOINTS), :2] += rng.normal(0, torsos * size, (len(BODY_KEYPOINTS), 2))
    return out


@pytest.mark.parametrize("judge", JUDGES)
def test_identical_poses_score_zero(judge, lspet_truths):
    scores = judge(lspet_truths[0], lspet_truths)
    assert scores[0] == pytest.approx(0.0, abs=1e-9)
    same = _each(judge, lspet_truths, lspet_truths)
    assert np.nanmax(same) < 1e-6
    assert np.isfinite(same).mean() > 0.9  # some photos lack a shoulder or a hip


@pytest.mark.parametrize("judge", JUDGES)
def test_mirrored_and_perturbed_poses_score_worse(judge, lspet_truths):
    mirrored = _each(judge, lspet_truths, mirror_keypoints(lspet_truths))
    slightly = _each(judge, lspet_truths, _jitter(lspet_truths, 0.05, 1))
    badly = _each(judge, lspet_truths, _jitter(lspet_truths, 0.3, 2))
    # Every perturbed pose scores worse than itself, and more noise scores worse still.
    assert (slightly[np.isfinite(slightly)] > 0).all()
    assert np.nanmean(slightly) < np.nanmean(badly)
    assert (np.nan_to_num(badly) > np.nan_to_num(slightly)).mean() > 0.9
    # Mirrored, a pose seen from the side or at an angle is a different pose.
    assert np.nanmean(mirrored) > np.nanmean(slightly)


@pytest.mark.parametrize("judge", JUDGES)
def test_blind_to_position_and_size(judge, lspet_truths):
    moved = lspet_truths.copy()
    moved[..., :2] = moved[..., :2] * 2.5 + np.array([300.0, -40.0])
    others = lspet_truths[::-1]
    np.testing.assert_allclose(_each(judge, lspet_truths, others), _each(judge, moved, others),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(_each(judge, others, lspet_truths), _each(judge, others, moved),
                               rtol=1e-6, atol=1e-9)


def test_limb_direction_of_a_turned_pose_is_the_turn(lspet_truths):
    pose = lspet_truths[0]
    turned = pose.copy()
    turned[:, 0], turned[:, 1] = -pose[:, 1], pose[:, 0]  # 90 degrees
    assert limb_direction(pose, turned)[0] == pytest.approx(90.0)
    upside_down = pose.copy()
    upside_down[:, :2] = -pose[:, :2]
    assert limb_direction(pose, upside_down)[0] == pytest.approx(180.0)


@pytest.mark.parametrize("judge", JUDGES)
def test_nothing_in_common_is_nan(judge, lspet_truths):
    upper = lspet_truths[0].copy()
    lower = lspet_truths[0].copy()
    legs = [11, 12, 13, 14, 15, 16]
    upper[legs, 2] = 0
    lower[[5, 6, 7, 8, 9, 10] + [11], 2] = 0
    lower[12, 2] = 0
    assert np.isnan(judge(upper, lower)[0])
