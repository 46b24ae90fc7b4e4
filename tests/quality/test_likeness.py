"""The "likeness" search (movemirror.quality.likeness through PoseBank.search) on real LSPET
poses: the same answers as the two-stage search it compiles, and brute force of its own order
when every pose is a candidate."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.bench.quality_matches import reranked_matches
from movemirror.distances import DEFAULT_METRIC, LIKENESS, torso_distance
from movemirror.errors import PoseError
from movemirror.keypoints import KEYPOINT_INDEX, mirror_keypoints
from movemirror.quality import likeness
from movemirror.torso_vectors import to_torso_vectors, torso_problems, torso_vectors_where_possible

TORSO = [KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]


@pytest.fixture(scope="module")
def poses(lspet_truths) -> np.ndarray:
    """LSPET's poses with uneven confidences, as estimated poses have (seeded); those with a
    torso."""
    rng = np.random.default_rng(11)
    out = lspet_truths.copy()
    out[..., 2] *= rng.uniform(0.3, 1.0, out.shape[:2])
    return out[[p is None for p in torso_problems(out)]]


@pytest.fixture(scope="module")
def bank(poses) -> PoseBank:
    return PoseBank.from_keypoints(poses[30:])


def test_likeness_is_the_default_metric():
    assert DEFAULT_METRIC == LIKENESS


@pytest.mark.parametrize("k", [1, 5, 10, 20])
def test_it_gives_the_two_stage_search_it_compiles(poses, bank, k):
    """quality.rerank's order of cosine's top 10 either way round (brute force); past 10,
    each further block of 10 of cosine's order re-ordered alike."""
    queries, archive = poses[:30], poses[30:]
    rows, flags = reranked_matches("torso", queries, archive, 10, True, 10)
    found = bank.search(queries, k=k)
    np.testing.assert_array_equal(found.indices[:, :10], rows[:, :k])
    np.testing.assert_array_equal(found.mirrored[:, :10], flags[:, :k])
    one = bank.search(queries[3], k=k)
    np.testing.assert_array_equal(one.indices[0], found.indices[3])
    if k > 10:  # the second block: cosine's 11th-20th, in the torso distance's order
        cosine = bank.search(queries, k=20, metric="cosine", mirror=True)
        for got, expected in zip(found.indices, cosine.indices, strict=True):
            assert set(got[10:].tolist()) == set(expected[10:].tolist())
        assert (np.diff(found.distances[:, 10:], axis=1) >= 0).all()


def test_asking_for_more_never_changes_the_first_matches(poses, bank):
    few = bank.search(poses[:30], k=3)
    many = bank.search(poses[:30], k=40)
    for got, want in zip(few, many, strict=True):
        np.testing.assert_array_equal(got, want[:, :3])


def test_within_one_block_it_is_brute_force_of_its_own_order(poses, monkeypatch):
    """With every pose of the bank in one block, stage one passes them all: the answer is
    then the torso distance's brute-force order, each pose at its nearer side, and its
    distances those."""
    queries, archive = poses[:30], poses[30:60]
    monkeypatch.setattr(likeness, "CANDIDATES", len(archive))
    found = PoseBank.from_keypoints(archive).search(queries, k=len(archive))
    archive_vectors = to_torso_vectors(archive)
    plain = torso_distance(to_torso_vectors(queries), archive_vectors)
    flipped = torso_distance(to_torso_vectors(mirror_keypoints(queries)), archive_vectors)
    brute = np.minimum(plain, flipped)
    np.testing.assert_allclose(found.distances, np.sort(brute, axis=1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(brute, found.indices, axis=1),
                               found.distances, rtol=1e-6, atol=1e-6)
    chosen_flipped = np.take_along_axis(flipped < plain, found.indices, axis=1)
    np.testing.assert_array_equal(found.mirrored, chosen_flipped)
    assert found.mirrored.any() and not found.mirrored.all()


def test_distances_are_finite_and_best_first(poses, bank):
    found = bank.search(poses[:30], k=10)
    assert np.isfinite(found.distances).all()
    assert (np.diff(found.distances, axis=1) >= 0).all()
    assert (found.distances[:, 0] >= 0).all()
    for row in found.indices:
        assert len(set(row.tolist())) == len(row)  # each bank pose once


def test_a_pose_finds_itself_first(poses, bank):
    found = bank.search(poses[30:40], k=3)
    np.testing.assert_array_equal(found.indices[:, 0], np.arange(10))
    np.testing.assert_allclose(found.distances[:, 0], 0.0, atol=1e-6)


def test_mirroring_the_query_mirrors_the_answer(poses, bank):
    queries = poses[:30]
    plain = bank.search(queries, k=10)
    flipped = bank.search(mirror_keypoints(queries), k=10)
    np.testing.assert_array_equal(plain.indices, flipped.indices)
    np.testing.assert_allclose(plain.distances, flipped.distances, rtol=1e-6, atol=1e-7)
    # Each match comes the other way round, but for a pose equally far either way.
    differ = plain.mirrored != flipped.mirrored
    assert differ.mean() > 0.9


def test_a_query_without_a_torso_keeps_stage_ones_order(poses, bank):
    """The page sends such poses: they get cosine's answer (either way round, among the
    poses with a torso) where cosine answers, not an error; "torso" alone refuses them."""
    no_torso = poses[:5].copy()
    no_torso[:, TORSO, 2] = 0.0
    assert all(p is not None for p in torso_problems(no_torso))
    with pytest.raises(PoseError, match="no confident shoulder or hip"):
        bank.search(no_torso[0], metric="torso")
    for k in (3, 10, 20):
        found = bank.search(no_torso, k=k)
        cosine = bank.search(no_torso, k=k, metric="cosine", mirror=True)
        np.testing.assert_array_equal(found.indices, cosine.indices)
        np.testing.assert_array_equal(found.mirrored, cosine.mirrored)
        np.testing.assert_allclose(found.distances, cosine.distances, rtol=1e-6, atol=1e-7)
    # In a batch, the others are re-ordered as alone.
    mixed = bank.search(np.stack([poses[0], no_torso[1], poses[2]]), k=10)
    alone = bank.search(np.stack([poses[0], poses[2]]), k=10)
    np.testing.assert_array_equal(mixed.indices[[0, 2]], alone.indices)
    np.testing.assert_array_equal(mixed.indices[1], bank.search(no_torso[1], k=10).indices[0])
    assert not np.array_equal(mixed.indices[0], bank.search(
        poses[0], k=10, metric="cosine", mirror=True).indices[0])


def test_degenerate_queries_are_refused_with_a_reason(poses, bank):
    not_finite = poses[0].copy()
    not_finite[3, 0] = np.nan
    with pytest.raises(PoseError, match="non-finite"):
        bank.search(not_finite)
    one_point = poses[0].copy()
    one_point[:, :2] = 5.0
    with pytest.raises(PoseError, match="zero extent"):
        bank.search(one_point)


def test_bank_poses_without_a_torso_are_never_matched(poses):
    archive = poses[30:90].copy()
    archive[::3, TORSO, 2] = 0.0  # a third lose their torso, keeping enough keypoints
    kept = np.array([p is None for p in torso_problems(archive)])
    assert 0 < (~kept).sum() and kept.sum() > 20
    bank = PoseBank.from_keypoints(archive)
    found = bank.search(poses[:20], k=10)
    assert kept[found.indices].all()
    only = PoseBank.from_keypoints(archive[kept])
    expected = only.search(poses[:20], k=10)
    np.testing.assert_array_equal(found.indices, np.flatnonzero(kept)[expected.indices])
    np.testing.assert_array_equal(found.distances, expected.distances)


def test_adding_poses_searches_them_too(poses):
    bank = PoseBank.from_keypoints(poses[40:80])
    bank.search(poses[0])
    bank.add(poses[30:31])
    found = bank.search(poses[30], k=1)
    assert found.indices[0, 0] == 40 and found.distances[0, 0] == pytest.approx(0, abs=1e-6)


def test_compiled_torso_vectors_are_to_torso_vectors(poses, lspet_truths):
    both = np.concatenate([poses, lspet_truths])
    vectors, usable = torso_vectors_where_possible(both)
    np.testing.assert_array_equal(usable, [p is None for p in torso_problems(both)])
    assert not usable.all()
    np.testing.assert_allclose(vectors[usable], to_torso_vectors(both[usable]), rtol=1e-6,
                               atol=1e-7)
