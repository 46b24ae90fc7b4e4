"""Holes on real poses, and the planted hole: a bank stripped of every pose with both wrists
raised shows that kind as its top hole against poses of other clips, whichever clips."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.coverage.describe import describe
from movemirror.coverage.holes import COVERAGE_METRIC, bank_spacing, find_holes, local_density_ratio
from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.vectors import XY

REFERENCE_POSES = 3000
_K = KEYPOINT_INDEX


def wrists_raised(poses: np.ndarray) -> np.ndarray:
    """Both wrists above both shoulders in the picture: the kind the planted test removes
    (worked out here on its own, not with the words under test)."""
    wrist_y = np.maximum(poses[:, _K["left_wrist"], 1], poses[:, _K["right_wrist"], 1])
    shoulder_y = np.minimum(poses[:, _K["left_shoulder"], 1], poses[:, _K["right_shoulder"], 1])
    return wrist_y < shoulder_y


# The words for that kind: above the head, or (the weaker) above the shoulders.
RAISED_WORDS = {"both wrists above the head", "both wrists above the shoulders"}


def names_the_kind(phrases) -> bool:
    return bool(RAISED_WORDS & set(phrases))


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
    assert names_the_kind(top.phrases)
    assert raised[top.members].mean() > 0.75
    # the poses the sentence names are far more often holes than the rest
    named = np.array([names_the_kind(describe(pose)) for pose in reference])
    assert holes.is_hole[named].mean() > 2 * holes.is_hole[~named].mean()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_top_hole_does_not_depend_on_the_draw_of_the_reference(penn_sample, planted, seed):
    # Half as many reference poses, other clips each time: the distance-threshold method
    # named the kind 6 times in 10 here.
    bank, _, _ = planted
    test = np.flatnonzero(~penn_sample.train)
    rows = np.random.default_rng(seed).choice(test, REFERENCE_POSES // 2, replace=False)
    reference = penn_sample.keypoints[rows]
    top = find_holes(bank, reference).groups[0]
    assert names_the_kind(top.phrases)
    assert wrists_raised(reference)[top.members].mean() > 0.75


def test_holes_are_the_reference_poses_far_from_the_bank_and_at_or_above_the_ratio(planted):
    bank, reference, _ = planted
    holes = find_holes(bank, reference[:500], max_groups=4)
    members = np.concatenate([g.members for g in holes.groups])
    far = holes.nearest > bank_spacing(bank)
    assert 0 < holes.min_distance == bank_spacing(bank)
    assert sorted(members) == list(np.flatnonzero(far & (holes.ratio >= holes.min_ratio)))
    assert holes.count == len(members) > 0
    assert [len(g.members) for g in holes.groups] == sorted(
        (len(g.members) for g in holes.groups), reverse=True)
    assert len(holes.groups) <= 4
    for group in holes.groups:
        assert group.members[0] == group.medoid
    exact = bank.search(reference[:500], k=1, metric=COVERAGE_METRIC).distances[:, 0]
    np.testing.assert_allclose(holes.nearest, exact)


def test_the_ratio_counts_the_nearest_poses_of_both_sets(planted):
    # Worked out by brute force on the vectors' normalised x/y (cosine distance is monotone
    # in the Euclidean distance there), not with the bank's index.
    bank, reference, _ = planted
    small = PoseBank.from_keypoints(bank.keypoints[:1500])
    ref = reference[:300]
    neighbours = 10
    ratio = local_density_ratio(small, ref, neighbours=neighbours)
    b = np.asarray(small.vectors)[:, XY]
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    r = np.asarray(PoseBank.from_keypoints(ref).vectors)[:, XY]
    r /= np.linalg.norm(r, axis=1, keepdims=True)
    to_bank = np.linalg.norm(r[:, None] - b[None], axis=2)
    to_ref = np.linalg.norm(r[:, None] - r[None], axis=2)
    np.fill_diagonal(to_ref, np.inf)
    both = np.concatenate([to_bank, to_ref], axis=1)
    from_ref = (np.argsort(both, axis=1, kind="stable")[:, :neighbours] >= len(b)).sum(axis=1)
    agree = 0
    for i, count in enumerate(from_ref):
        expected = np.inf if count == neighbours else (
            count / (neighbours - count) * len(b) / (len(ref) - 1))
        agree += bool(np.isclose(ratio[i], expected))
    assert agree >= 0.98 * len(ref)  # ties at float32 precision may order a pair otherwise


def test_a_random_sample_of_the_bank_has_almost_no_holes(planted):
    # Drawn from the bank, the reference is as dense as the bank everywhere: only chance
    # (a handful of 20 neighbours) makes a hole.
    bank, _, _ = planted
    rows = np.random.default_rng(5).choice(len(bank), 600, replace=False)
    holes = find_holes(bank, bank.keypoints[rows])
    assert holes.count <= 0.03 * len(rows)
    assert np.median(holes.ratio) < 1.5


def test_a_pose_the_bank_holds_is_never_a_hole_however_often_the_reference_repeats_it(planted):
    # A query log's visitors searching for one bank pose again and again: a dense clump of
    # reference poses (ratio inf) at zero distance from the bank, which the ratio alone
    # called a hole.
    bank, reference, _ = planted
    repeated = np.repeat(bank.keypoints[[11, 2000]], 100, axis=0)
    holes = find_holes(bank, np.concatenate([repeated, reference[:300]]))
    assert np.all(holes.ratio[:200] >= holes.min_ratio)
    assert not holes.is_hole[:200].any()
    assert holes.count > 0  # the other reference poses still find the planted hole
