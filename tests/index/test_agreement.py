"""Every index returns what brute force returns, on random and on real poses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movemirror.distances import METRICS, check_metric
from movemirror.errors import PoseError
from movemirror.index import INDEX_KINDS, Index, build_index
from movemirror.index.approx import ApproxBoxTreeIndex
from movemirror.index.boxtree import (
    _BUCKETS,
    _EARLY_DIMS,
    _FIRST_DIMS,
    EXACT_LEAF_SIZE,
    SEED_BLOCKS_MAX,
    BoxTreeIndex,
    _bucket,
    _seed_leaves,
)
from movemirror.index.brute import BruteForceIndex
from movemirror.index.recall import recall_at_k, true_distances
from movemirror.vectors import CONFIDENCE_SUM, XY_DIM, to_vectors

from .agreement import assert_agrees
from .poses import random_vectors

EXACT = [(kind, metric) for kind, factory in INDEX_KINDS.items() if kind != "brute"
         for metric in factory.exact_metrics]


@pytest.mark.parametrize("kind, metric", EXACT)
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), k=st.integers(1, 30), seed=st.integers(0, 2**32 - 1),
       clustered=st.booleans(), duplicates=st.integers(0, 40))
def test_agrees_with_brute_force_on_random_poses(kind, metric, n, k, seed, clustered,
                                                 duplicates):
    bank = random_vectors(n, seed, clustered, duplicates)
    queries = np.concatenate([random_vectors(8, seed + 1, clustered), bank[:3]])
    found = build_index(bank, metric, kind).search(queries, k)
    truth = BruteForceIndex(bank, metric).search(queries, k)
    assert_agrees(found, truth, queries, bank, metric)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed_blocks_max", [0, SEED_BLOCKS_MAX])  # weighted: root or blocks
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 600), leaf_size=st.integers(1, 40), k=st.integers(1, 12),
       seed=st.integers(0, 2**32 - 1))
def test_boxtree_is_exact_for_any_leaf_size(metric, seed_blocks_max, n, leaf_size, k, seed):
    bank = random_vectors(n, seed, clustered=True, duplicates=n // 10)
    queries = random_vectors(10, seed + 1)
    found = BoxTreeIndex(bank, metric, leaf_size=leaf_size,
                         seed_blocks_max=seed_blocks_max).search(queries, k)
    truth = BruteForceIndex(bank, metric).search(queries, k)
    assert_agrees(found, truth, queries, bank, metric)


@pytest.mark.parametrize("kind, metric", EXACT)
def test_exact_ties_go_to_the_lower_index(kind, metric):
    others = random_vectors(100, seed=7)
    pose = others[0]
    bank = np.concatenate([others[1:40], np.repeat(pose[None], 30, 0), others[40:]])
    bank[[5, 90]] = pose  # more copies, one before and one after the block
    d, i = build_index(bank, metric, kind).search(pose[None], 20)
    copies = np.flatnonzero((bank == pose).all(axis=1))
    assert len(copies) == 32
    np.testing.assert_array_equal(i[0], copies[:20])
    np.testing.assert_array_equal(d[0], np.zeros(20, np.float32))


@pytest.mark.parametrize("kind", list(INDEX_KINDS))
@pytest.mark.parametrize("metric", METRICS)
def test_k_larger_than_the_bank_and_a_bank_of_one(kind, metric):
    bank = random_vectors(7, seed=3)
    queries = random_vectors(4, seed=4)
    d, i = build_index(bank, metric, kind).search(queries, 50)
    assert d.shape == i.shape == (4, 7)
    for row in i:
        assert sorted(row.tolist()) == list(range(7))
    assert (np.diff(d, axis=1) >= 0).all()
    d, i = build_index(bank[:1], metric, kind).search(queries, 10)
    assert d.shape == (4, 1)
    np.testing.assert_array_equal(i, np.zeros((4, 1)))


@pytest.mark.parametrize("kind", list(INDEX_KINDS))
@pytest.mark.parametrize("metric", METRICS)
def test_batch_and_single_queries_agree(kind, metric):
    bank = random_vectors(3000, seed=5)
    queries = random_vectors(100, seed=6)  # enough to take the parallel batch path
    index = build_index(bank, metric, kind)
    d, i = index.search(queries, 10)
    for q in range(0, 100, 9):
        d1, i1 = index.search(queries[q], 10)
        np.testing.assert_array_equal(i1[0], i[q])
        np.testing.assert_array_equal(d1[0], d[q])


# --- real poses -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def penn_split(penn_valid):
    """30,000 real poses as the bank, 200 queries from clips that are not in it."""
    keypoints, clips = penn_valid
    rng = np.random.default_rng(0)
    held_out = np.isin(clips, rng.permutation(np.unique(clips))[:150])
    bank = to_vectors(keypoints[~held_out][rng.choice((~held_out).sum(), 30_000, False)])
    queries = to_vectors(keypoints[held_out][rng.choice(held_out.sum(), 200, False)])
    return bank, queries


@pytest.fixture(scope="module")
def penn_truth(penn_split):
    """Brute force's top-10 per metric, computed once (it is slow for "weighted")."""
    bank, queries = penn_split
    return {metric: BruteForceIndex(bank, metric).search(queries, 10) for metric in METRICS}


@pytest.mark.parametrize("kind, metric", EXACT)
def test_agrees_with_brute_force_on_real_poses(penn_split, penn_truth, kind, metric):
    bank, queries = penn_split
    found = build_index(bank, metric, kind).search(queries, 10)
    truth = penn_truth[metric]
    assert_agrees(found, truth, queries, bank, metric)
    # Real distances rarely tie: nearly every result must be the very same pose.
    assert (found[1] == truth[1]).mean() > 0.99


@pytest.mark.parametrize("metric", ["cosine", "weighted", "torso"])
def test_walk_from_the_root_agrees_on_real_poses(penn_split, penn_truth, metric):
    """The walk for banks beyond SEED_BLOCKS_MAX blocks, which the default skips at 30,000."""
    bank, queries = penn_split
    index = BoxTreeIndex(bank, metric, seed_blocks_max=0)
    assert not len(index._seeds[2])
    found = index.search(queries, 10)
    assert_agrees(found, penn_truth[metric], queries, bank, metric)
    assert (found[1] == penn_truth[metric][1]).mean() > 0.99


def test_only_the_exact_walk_starts_from_every_block(penn_split):
    bank, _ = penn_split
    for metric in ("weighted", "cosine"):
        blocks = -(-len(bank) // EXACT_LEAF_SIZE)
        assert len(BoxTreeIndex(bank, metric)._seeds[2]) == blocks
        assert not len(ApproxBoxTreeIndex(bank, metric, max_leaves=64)._seeds[2])


def test_vptree_on_the_weighted_distance_misses_true_neighbours(penn_split, penn_truth):
    """The weighted distance breaks the triangle inequality a vantage-point tree relies on."""
    bank, queries = penn_split
    _, found = build_index(bank, "weighted", "vptree").search(queries, 10)
    truth, _ = penn_truth["weighted"]
    recall = recall_at_k(true_distances(queries, bank, found, "weighted"), truth)
    assert 0.5 < recall < 1.0


@pytest.mark.parametrize("metric", METRICS)
def test_approximate_tree_without_a_budget_is_exact(penn_split, penn_truth, metric):
    bank, queries = penn_split
    found = ApproxBoxTreeIndex(bank, metric, max_leaves=0).search(queries, 10)
    assert_agrees(found, penn_truth[metric], queries, bank, metric)


def test_approximate_tree_recall_grows_with_its_budget(penn_split, penn_truth):
    bank, queries = penn_split
    truth, _ = penn_truth["cosine"]
    recalls = []
    for budget in (4, 64):
        _, found = ApproxBoxTreeIndex(bank, "cosine", max_leaves=budget).search(queries, 10)
        recalls.append(recall_at_k(true_distances(queries, bank, found, "cosine"), truth))
    assert recalls[0] < recalls[1] and recalls[1] > 0.9


@pytest.mark.parametrize("kind", list(INDEX_KINDS))
def test_every_index_offers_the_declared_interface(kind, penn_valid):
    bank = to_vectors(penn_valid[0][:300])
    for metric in METRICS:
        index = INDEX_KINDS[kind].build(bank, metric)
        assert isinstance(index, Index)
        assert (index.name, index.metric) == (kind, metric)
        assert index.nbytes >= bank.nbytes
        d, i = index.search(bank[:4], 5)
        assert d.shape == i.shape == (4, 5) and d.dtype == np.float32 and i.dtype == np.int64


@pytest.mark.parametrize("metric", ["cosine", "weighted"])
def test_seeding_orders_blocks_by_bound_and_bounds_their_last_dimensions(penn_split, metric):
    """_seed_leaves' `rest`, added to a block's partial sums after _EARLY_DIMS and after
    _FIRST_DIMS dimensions (_search_one), never exceeds what any pose of the block adds over
    the dimensions after those."""
    bank, queries = penn_split
    index = BoxTreeIndex(bank, metric)
    weighted = metric == "weighted"
    blocks, ids = index._tree[5], index._tree[6]
    source = np.argmax(index._turn, axis=0)  # weighted: the dimensions' order
    nodes = len(index._tree[0])
    rest = np.empty((2, len(blocks)), np.float32)
    raw, keys = np.empty(len(blocks), np.float32), np.empty(len(blocks), np.float32)
    counts = np.empty(_BUCKETS + 1, np.int64)
    for query in queries[:20]:
        if weighted:
            weights = np.float32(query[XY_DIM + source // 2] / np.float64(query[CONFIDENCE_SUM]))
            q = np.ascontiguousarray(query[source], dtype=np.float32)
        else:  # rotated as _search_rows rotates it
            weights = np.zeros(XY_DIM, np.float32)
            q = (query[:XY_DIM].astype(np.float64) @ index._turn).astype(np.float32)
        bound, node = np.empty(nodes, np.float32), np.empty(nodes, np.int64)
        _, low, scale = _seed_leaves(q, weights, weighted, index._seeds, bound, node, rest, raw,
                                     keys, counts)
        for row, past in enumerate((_EARLY_DIMS, _FIRST_DIMS)):
            gaps = q[past:, None] - blocks[:, past:, :]
            tails = (weights[past:, None] * np.abs(gaps) if weighted else gaps**2).sum(axis=1)
            tails = np.where(ids >= 0, tails, np.inf)
            assert (rest[row] > 0).mean() > 0.2  # it bounds something
            assert (rest[row] <= tails.min(axis=1) * (1 + 1e-5) + 1e-7).all()
        # Every block once, in buckets of increasing bound (the seeded walk's order).
        assert sorted(node[:len(blocks)]) == sorted(index._seeds[2])
        assert np.array_equal(np.sort(bound[:len(blocks)]), np.sort(raw))
        in_order = np.array([_bucket(b, low, scale) for b in bound[:len(blocks)]])
        assert (np.diff(in_order) >= 0).all() and in_order[-1] > in_order[0]


@pytest.mark.parametrize("metric", METRICS)
def test_search_of_poses_is_the_search_of_their_vectors(penn_valid, metric):
    """BoxTreeIndex.search_poses (one compiled call for a few poses, PoseBank.search's path)
    answers as search(vectorise(poses)) does, bitwise, and refuses a bad pose alike."""
    keypoints, clips = penn_valid
    rng = np.random.default_rng(3)
    held_out = np.isin(clips, rng.permutation(np.unique(clips))[:40])
    vectorise = check_metric(metric).vectorise
    index = BoxTreeIndex(vectorise(keypoints[~held_out][:20_000]), metric)
    poses = keypoints[held_out][rng.choice(held_out.sum(), 40, False)]
    for batch in (poses[:1], poses[:3], poses):  # one, a few, and a parallel batch
        found = index.search_poses(np.ascontiguousarray(batch), 10)
        expected = index.search(vectorise(batch), 10)
        assert np.array_equal(found[0], expected[0]) and np.array_equal(found[1], expected[1])
    bad = poses[:3].copy()
    bad[1, :, 2] = 0.0  # no confident keypoint
    with pytest.raises(PoseError) as refused:
        index.search_poses(bad, 10)
    with pytest.raises(PoseError) as expected_error:
        vectorise(bad)
    assert str(refused.value) == str(expected_error.value) and "pose 1" in str(refused.value)
