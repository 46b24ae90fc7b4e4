"""The two-stage search (movemirror.quality.rerank) on real LSPET poses, against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bench.quality_matches import reranked_matches, top_matches
from movemirror.bench.quality_rerank import TwoStageSearch
from movemirror.distances import cosine_distance
from movemirror.keypoints import KEYPOINT_INDEX, mirror_keypoints
from movemirror.quality.metrics import POSE_METRICS
from movemirror.quality.rerank import first_stage, rerank
from movemirror.vectors import to_vectors

TORSO = [KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]


@pytest.fixture(scope="module")
def poses(lspet_truths) -> np.ndarray:
    """LSPET's poses with uneven confidences, as estimated poses have (seeded)."""
    rng = np.random.default_rng(7)
    out = lspet_truths.copy()
    out[..., 2] *= rng.uniform(0.3, 1.0, out.shape[:2])
    return out


def test_first_stage_is_the_exact_cosine_top_k_both_ways(poses):
    queries, archive = poses[:20], poses[20:]
    rows, dists, flags = first_stage(POSE_METRICS["cosine"], queries, archive, 15, mirror=True)
    plain = cosine_distance(to_vectors(queries), to_vectors(archive))
    flipped = cosine_distance(to_vectors(mirror_keypoints(queries)), to_vectors(archive))
    brute = np.minimum(plain, flipped)
    expected = np.sort(brute, axis=1)[:, :15]
    np.testing.assert_allclose(dists, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(brute, rows, axis=1), expected, rtol=1e-6,
                               atol=1e-6)
    assert (flags == (np.take_along_axis(flipped, rows, axis=1)
                      < np.take_along_axis(plain, rows, axis=1))).all()
    assert flags.any() and not flags.all()


def test_the_banks_exact_index_gives_the_same_candidates(poses):
    from movemirror.bank import PoseBank

    queries, archive = poses[:20], poses[20:]
    bank = PoseBank.from_keypoints(archive)
    rows, _, flags = first_stage(POSE_METRICS["cosine"], queries, archive, 10, mirror=True)
    for q, expected, expected_flags in zip(queries, rows, flags, strict=True):
        found = bank.search(q, k=10, metric="cosine", mirror=True)
        assert set(found.indices[0].tolist()) == set(expected.tolist())
        by_row = dict(zip(found.indices[0].tolist(), found.mirrored[0].tolist(), strict=True))
        assert [by_row[r] for r in expected.tolist()] == expected_flags.tolist()
        two = TwoStageSearch(bank, "torso").search(q, 5, 10)
        alone = rerank(POSE_METRICS["torso"], q, archive, expected, np.zeros(10), expected_flags,
                       True, 5)
        assert (two[0] == alone[0]).all() and (two[1] == alone[1]).all()
    # ... and without the mirror.
    rows, _, flags = first_stage(POSE_METRICS["cosine"], queries, archive, 10, mirror=False)
    plain_only = TwoStageSearch(bank, "torso", mirror=False)
    for q, expected, expected_flags in zip(queries, rows, flags, strict=True):
        two = plain_only.search(q, 5, 10)
        alone = rerank(POSE_METRICS["torso"], q, archive, expected, np.zeros(10), expected_flags,
                       False, 5)
        assert (two[0] == alone[0]).all() and not two[1].any()


@pytest.mark.parametrize("mirror", [False, True])
def test_with_every_photo_a_candidate_it_is_the_second_distance_brute_force(poses, mirror):
    queries, archive = poses[:25], poses[25:]
    rows, flags = reranked_matches("torso", queries, archive, 5, mirror, len(archive))
    plain = POSE_METRICS["torso"](queries, archive)
    both = (np.minimum(plain, POSE_METRICS["torso"](mirror_keypoints(queries), archive))
            if mirror else plain)
    expected = np.sort(both, axis=1)[:, :5]
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(np.take_along_axis(both, rows, axis=1), expected)
    # The flag says which way round the distance was the smaller one.
    if mirror:
        flipped = POSE_METRICS["torso"](mirror_keypoints(queries), archive)
        picked_plain = np.take_along_axis(plain, rows, axis=1)
        picked_flipped = np.take_along_axis(flipped, rows, axis=1)
        assert (flags == (picked_flipped < picked_plain)).all()
    else:
        assert not flags.any()


def test_it_only_picks_among_the_candidates_and_one_candidate_is_cosine(poses):
    queries, archive = poses[:30], poses[30:]
    cosine, _ = top_matches("cosine", queries, archive, 1, False)
    one, _ = reranked_matches("torso", queries, archive, 1, False, 1)
    assert (one[:, 0] == cosine[:, 0]).all()
    rows, _, _ = first_stage(POSE_METRICS["cosine"], queries, archive, 8, mirror=True)
    picked, _ = reranked_matches("torso", queries, archive, 5, True, 8)
    for r, p in zip(rows, picked, strict=True):
        assert set(p.tolist()) <= set(r.tolist())
    # ... and it does change the order: otherwise re-ranking measures nothing.
    plain, _ = reranked_matches("torso", queries, archive, 1, False, 8)
    assert (plain[:, 0] != cosine[:, 0]).any()


def test_a_query_the_second_distance_refuses_keeps_the_cosine_order(poses):
    archive = poses[10:]
    query = poses[0].copy()
    query[TORSO, 2] = 0.0  # no confident shoulder or hip: torso cannot measure it
    assert not np.isfinite(POSE_METRICS["torso"](query[None], archive)).any()
    rows, first, found = first_stage(POSE_METRICS["cosine"], query[None], archive, 10, False)
    picked, flags = rerank(POSE_METRICS["torso"], query, archive, rows[0], first[0], found[0],
                           False, 5)
    assert (picked == rows[0, :5]).all() and not flags.any()
    # With the mirror too: each candidate shown the way round cosine found it closer.
    rows, first, found = first_stage(POSE_METRICS["cosine"], query[None], archive, 10, True)
    picked, flags = rerank(POSE_METRICS["torso"], query, archive, rows[0], first[0], found[0],
                           True, 5)
    assert np.all(np.diff(np.minimum(*_both_ways(query, archive, picked))) >= 0)
    plain, flipped = _both_ways(query, archive, picked)
    assert (flags == (flipped < plain)).all()


def _both_ways(query, archive, rows):
    plain = cosine_distance(to_vectors(query[None]), to_vectors(archive[rows]))[0]
    flipped = cosine_distance(to_vectors(mirror_keypoints(query[None])),
                              to_vectors(archive[rows]))[0]
    return plain, flipped


def test_a_degenerate_query_gets_no_match_and_no_nan(poses):
    archive = poses[10:]
    blank = np.zeros((1, 17, 3), np.float32)  # nothing confident: no vector at all
    queries = np.concatenate([poses[:3], blank])
    rows, flags = reranked_matches("torso", queries, archive, 5, True, 10)
    assert (rows[3] == -1).all() and not flags[3].any()
    assert (rows[:3] >= 0).all()
    chosen = POSE_METRICS["torso"](queries[:3], archive)
    assert not np.isnan(chosen).any()


def test_mirroring_the_query_mirrors_the_answer(poses):
    # Not symmetric between query and archive (torso weighs by the query's scores), but
    # searching both ways round makes the query's own orientation irrelevant.
    queries, archive = poses[:20], poses[20:]
    rows, flags = reranked_matches("torso", queries, archive, 3, True, 10)
    m_rows, m_flags = reranked_matches("torso", mirror_keypoints(queries), archive, 3, True, 10)
    assert (rows == m_rows).all() and (flags == ~m_flags).all()
