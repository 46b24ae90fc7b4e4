"""The "torso" distance: torso vectors of real poses, exact search, refused poses."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.distances import distance
from movemirror.errors import PoseError
from movemirror.index import build_index
from movemirror.index.boxtree import BoxTreeIndex
from movemirror.index.brute import BruteForceIndex
from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.torso_vectors import MAX_REACH, to_torso_vectors, torso_problems
from movemirror.vectors import CONFIDENCE_SUM, CONFIDENCES, XY

SHOULDERS_AND_HIPS = [KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder",
                                                   "left_hip", "right_hip")]


@pytest.fixture(scope="module")
def penn_torso(penn_valid):
    """Penn Action poses that have torso vectors (all but a few), shuffled."""
    poses, _ = penn_valid
    poses = poses[np.random.default_rng(1).permutation(len(poses))[:20_000]]
    ok = np.array([p is None for p in torso_problems(poses)])
    assert ok.mean() > 0.99
    return poses[ok]


def test_vectors_are_finite_and_bounded_and_ignore_the_face(penn_torso):
    v = to_torso_vectors(penn_torso[:2000])
    assert np.isfinite(v).all()
    assert np.abs(v[:, XY]).max() <= MAX_REACH
    assert (v[:, XY][:, :10] == 0).all() and (v[:, CONFIDENCES][:, :5] == 0).all()
    np.testing.assert_allclose(v[:, CONFIDENCE_SUM], v[:, CONFIDENCES].sum(axis=1), rtol=1e-5)


def test_blind_to_where_the_pose_stands_and_its_size(penn_torso):
    poses = penn_torso[:300]
    moved = poses.copy()
    moved[..., :2] = moved[..., :2] * 3.0 + np.array([-700.0, 45.0], np.float32)
    np.testing.assert_allclose(to_torso_vectors(moved), to_torso_vectors(poses), atol=1e-4)


def test_not_symmetric_as_declared_only_the_query_weighs(penn_torso):
    v = to_torso_vectors(penn_torso[:200])
    d = distance(v, v, "torso")
    assert np.allclose(np.diag(d), 0.0)
    assert not np.allclose(d, d.T, atol=1e-6)
    flat = v.copy()
    flat[:, CONFIDENCES] = 1.0
    flat[:, CONFIDENCES][:, :5] = 0.0
    flat[:, CONFIDENCE_SUM] = 12.0
    d = distance(flat, flat, "torso")
    np.testing.assert_allclose(d, d.T, atol=1e-6)  # equal weights on both sides: symmetric


@pytest.mark.parametrize("k", [1, 7, 40])
@pytest.mark.parametrize("leaf_size", [4, 32])
def test_the_box_tree_is_exact_on_real_poses(penn_torso, k, leaf_size):
    bank = to_torso_vectors(penn_torso[:12_000])
    rng = np.random.default_rng(k + leaf_size)
    queries = penn_torso[12_000 + rng.choice(len(penn_torso) - 12_000, 150, replace=False)]
    noisy = queries.copy()
    noisy[..., :2] += rng.normal(0, 4, noisy[..., :2].shape).astype(np.float32)
    q = to_torso_vectors(np.concatenate([queries, noisy]))
    d, i = BoxTreeIndex(bank, "torso", leaf_size=leaf_size).search(q, k)
    bd, bi = BruteForceIndex(bank, "torso").search(q, k)
    np.testing.assert_allclose(d, bd, rtol=1e-6, atol=1e-7)
    full = distance(q, bank, "torso")
    exact = np.take_along_axis(full, i, axis=1)
    np.testing.assert_allclose(d, exact, rtol=1e-5, atol=1e-6)
    differ = i != bi  # another pose only where it ties with brute force's (poses whose
    # labelled torso joints are alike, e.g. a clip's still frames)
    np.testing.assert_allclose(exact[differ], np.take_along_axis(full, bi, axis=1)[differ],
                               rtol=1e-5, atol=1e-6)
    assert (i == bi).mean() > 0.95
    assert np.isfinite(d).all()


def test_bank_search_by_torso_matches_brute_force_with_mirror(penn_torso):
    bank = PoseBank.from_keypoints(penn_torso[:3000])
    queries = penn_torso[3000:3100]
    found = bank.search(queries, k=5, metric="torso", mirror=True)
    vectors = to_torso_vectors(penn_torso[:3000])
    straight = distance(to_torso_vectors(queries), vectors, "torso")
    from movemirror.keypoints import mirror_keypoints

    flipped = distance(to_torso_vectors(mirror_keypoints(queries)), vectors, "torso")
    best = np.minimum(straight, flipped)
    expected = np.sort(best, axis=1)[:, :5]
    np.testing.assert_allclose(found.distances, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(best, found.indices, 1), found.distances,
                               rtol=1e-5, atol=1e-6)


def test_degenerate_poses_are_refused(penn_torso):
    pose = penn_torso[0].copy()
    no_torso = pose.copy()
    no_torso[SHOULDERS_AND_HIPS, 2] = 0.0
    one_point = pose.copy()
    one_point[:, :2] = 50.0
    assert torso_problems(np.stack([pose, no_torso, one_point]))[0] is None
    with pytest.raises(PoseError, match="no confident shoulder or hip"):
        to_torso_vectors(no_torso)
    with pytest.raises(PoseError, match="zero extent"):
        to_torso_vectors(one_point)
    nan_pose = pose.copy()
    nan_pose[3, 0] = np.nan
    with pytest.raises(PoseError, match="non-finite"):
        to_torso_vectors(nan_pose)


def test_a_bank_pose_without_a_torso_is_not_among_torso_matches(penn_torso):
    poses = penn_torso[:50].copy()
    poses[7, SHOULDERS_AND_HIPS, 2] = 0.0  # still a valid pose for cosine
    bank = PoseBank.from_keypoints(poses)
    assert 7 in bank.search(poses[7], k=50, metric="cosine").indices[0]
    others = np.delete(poses, 7, axis=0)
    found = bank.search(others, k=60, metric="torso", mirror=True)
    assert found.indices.shape == (49, 49) and 7 not in found.indices
    assert (found.indices[np.arange(49), 0] == np.delete(np.arange(50), 7)).all()
    with pytest.raises(PoseError, match="no confident shoulder or hip"):
        bank.search(poses[7], metric="torso")
    assert build_index(to_torso_vectors(poses[:3]), "torso").search(
        to_torso_vectors(poses[:1]), 1)[1][0, 0] == 0
