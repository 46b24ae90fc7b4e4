"""Holes on real poses, and the planted hole: a bank stripped of every pose with both wrists
raised shows that kind as its top hole against poses of other clips."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.coverage.describe import describe
from movemirror.coverage.holes import (
    COVERAGE_METRIC,
    HOLE_PERCENTILE,
    bank_nn_threshold,
    find_holes,
)
from movemirror.keypoints import KEYPOINT_INDEX

REFERENCE_POSES = 3000
_K = KEYPOINT_INDEX


def wrists_raised(poses: np.ndarray) -> np.ndarray:
    """Both wrists above both shoulders in the picture: the kind the planted test removes
    (worked out here on its own, not with the words under test)."""
    wrist_y = np.maximum(poses[:, _K["left_wrist"], 1], poses[:, _K["right_wrist"], 1])
    shoulder_y = np.minimum(poses[:, _K["left_shoulder"], 1], poses[:, _K["right_shoulder"], 1])
    return wrist_y < shoulder_y


@pytest.fixture(scope="module")
def planted(penn_sample):
    poses = penn_sample.keypoints
    raised = wrists_raised(poses)
    bank = PoseBank.from_keypoints(poses[penn_sample.train & ~raised])
    test = np.flatnonzero(~penn_sample.train)
    reference = np.sort(np.random.default_rng(0).choice(test, REFERENCE_POSES, replace=False))
    return bank, poses[reference], raised[reference]


def test_the_top_hole_is_the_kind_removed(planted):
    bank, reference, raised = planted
    assert raised.mean() < 0.35  # the kind is a minority of the reference poses
    holes = find_holes(bank, reference)
    top = holes.groups[0]
    assert "both wrists above the head" in top.phrases
    assert raised[top.members].mean() > 0.6
    # the poses the sentence names are far more often holes than the rest
    named = np.array(["both wrists above the head" in describe(pose) for pose in reference])
    is_hole = holes.nearest > holes.threshold
    assert is_hole[named].mean() > 2 * is_hole[~named].mean()


def test_holes_are_the_reference_poses_beyond_the_threshold(planted):
    bank, reference, _ = planted
    holes = find_holes(bank, reference[:500], max_groups=4)
    members = np.concatenate([g.members for g in holes.groups])
    assert sorted(members) == list(np.flatnonzero(holes.nearest > holes.threshold))
    assert holes.count == len(members)
    assert [len(g.members) for g in holes.groups] == sorted(
        (len(g.members) for g in holes.groups), reverse=True)
    assert len(holes.groups) <= 4
    for group in holes.groups:
        assert group.members[0] == group.medoid
        assert group.distance > holes.threshold
    exact = bank.search(reference[:500], k=1, metric=COVERAGE_METRIC).distances[:, 0]
    np.testing.assert_allclose(holes.nearest, exact)


def test_the_threshold_is_the_stated_percentile_of_the_banks_own_distances(planted):
    bank, _, _ = planted
    threshold = bank_nn_threshold(bank, sample=len(bank))
    # [0] is the pose itself
    nearest = bank.search(bank.keypoints, k=2, metric=COVERAGE_METRIC).distances[:, 1]
    assert threshold == pytest.approx(np.percentile(nearest, HOLE_PERCENTILE), rel=1e-5)


def test_a_bank_holding_the_reference_has_no_holes(planted):
    bank, _, _ = planted
    holes = find_holes(bank, bank.keypoints[:300])
    assert holes.count == 0 and holes.groups == []
