"""The box tree's search of a query and its mirror image in one call (search_mirrored) gives
what searching both and merging them (topk.merge_unique) gives, as PoseBank.search(mirror=True)
did before: on random poses with exact ties, on both metrics, one query at a time and in
parallel batches, and on real poses through the bank; and every index's searches of poses in
pixels are those of their vectors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movemirror.bank import PoseBank
from movemirror.distances import check_metric
from movemirror.errors import PoseError
from movemirror.index import INDEX_KINDS, Index
from movemirror.index.approx import ApproxBoxTreeIndex
from movemirror.index.boxtree import _PARALLEL_FROM, BoxTreeIndex
from movemirror.index.brute import BruteForceIndex
from movemirror.index.topk import merge_unique
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import to_vectors, to_vectors_mirrored

from .poses import random_vectors


def _searched_apart(index, queries, mirrored, k):
    d, i = index.search(np.concatenate([queries, mirrored]), k)
    n = len(queries)
    return merge_unique(d[:n], i[:n], d[n:], i[n:], i.shape[1])


@pytest.mark.parametrize("metric", ["cosine", "weighted", "torso"])
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), k=st.integers(1, 30), seed=st.integers(0, 2**32 - 1),
       clustered=st.booleans(), duplicates=st.integers(0, 40), many=st.booleans())
def test_one_call_is_both_searches_merged(metric, n, k, seed, clustered, duplicates, many):
    bank = random_vectors(n, seed, clustered, duplicates)
    count = _PARALLEL_FROM + 3 if many else 5
    queries = np.concatenate([random_vectors(count, seed + 1, clustered), bank[:2]])
    # The "mirror images": other poses, and some equal to their query (a symmetric pose).
    mirrored = np.concatenate([random_vectors(count, seed + 2, clustered), bank[:2]])
    mirrored[::4] = queries[::4]
    index = BoxTreeIndex(bank, metric)
    found = index.search_mirrored(queries, mirrored, k)
    expected = _searched_apart(index, queries, mirrored, k)
    for got, want in zip(found, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    brute = _searched_apart(BruteForceIndex(bank, metric), queries, mirrored, k)
    np.testing.assert_allclose(found[0], brute[0], rtol=1e-5, atol=1e-6)


def test_the_approximate_tree_answers_alike(penn_valid):
    keypoints = penn_valid[0]
    bank = to_vectors(keypoints[:6000])
    poses = keypoints[6000:6040]
    plain, mirrored = to_vectors_mirrored(poses)
    index = ApproxBoxTreeIndex(bank, "cosine", max_leaves=8)
    found = index.search_mirrored(plain, mirrored, 10)
    for got, want in zip(found, _searched_apart(index, plain, mirrored, 10), strict=True):
        np.testing.assert_array_equal(got, want)


def test_the_bank_mirror_search_on_real_poses_is_brute_force(penn_valid):
    keypoints = penn_valid[0]
    bank = PoseBank.from_keypoints(keypoints[:5000])
    queries = keypoints[5000:5060]
    found = bank.search(queries, k=10, metric="cosine", mirror=True)
    brute = BruteForceIndex(bank.vectors, "cosine")
    expected = _searched_apart(brute, to_vectors(queries), to_vectors(mirror_keypoints(queries)),
                               10)
    np.testing.assert_array_equal(found.indices, expected[1])
    np.testing.assert_array_equal(found.mirrored, expected[2])
    np.testing.assert_allclose(found.distances, expected[0], rtol=1e-5, atol=1e-6)
    assert found.mirrored.any()


def test_a_pose_and_its_mirror_image_are_vectorised_in_one_call(penn_valid):
    poses = penn_valid[0][:500]
    plain, mirrored = to_vectors_mirrored(poses)
    np.testing.assert_array_equal(plain, to_vectors(poses))
    np.testing.assert_array_equal(mirrored, to_vectors(mirror_keypoints(poses)))


def test_mismatched_mirror_images_are_refused():
    bank = random_vectors(50, 0)
    with pytest.raises(ValueError, match="mirror images"):
        BoxTreeIndex(bank, "cosine").search_mirrored(bank[:3], bank[:2], 5)


@pytest.mark.parametrize("kind", sorted(INDEX_KINDS))
@pytest.mark.parametrize("metric", ["cosine", "weighted", "torso"])
def test_every_index_searches_poses_as_their_vectors(penn_valid, kind, metric):
    """search_poses and search_poses_mirrored (PoseBank.search's only paths, one compiled call
    for a few poses in the box tree) answer bitwise as search and search_mirrored of the
    vectors do, for every index, one pose, a few and a parallel batch; a bad pose is refused
    with the message vectorising it gives."""
    keypoints = penn_valid[0]
    vectorise = check_metric(metric).vectorise
    index = INDEX_KINDS[kind].build(vectorise(keypoints[:3000]), metric)
    assert isinstance(index, Index)
    poses = np.ascontiguousarray(keypoints[3000:3000 + _PARALLEL_FROM + 2])
    for batch in (poses[:1], poses[:3], poses):
        plain, flipped = vectorise(batch), vectorise(mirror_keypoints(batch))
        for got, want in zip(index.search_poses(batch, 10), index.search(plain, 10),
                             strict=True):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(index.search_poses_mirrored(batch, 10),
                             index.search_mirrored(plain, flipped, 10), strict=True):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(index.search_mirrored(plain, flipped, 10),
                             _searched_apart(index, plain, flipped, 10), strict=True):
            np.testing.assert_array_equal(got, want)
    bad = poses[:3].copy()
    bad[1, :, 2] = 0.0  # no confident keypoint
    with pytest.raises(PoseError) as expected:
        vectorise(bad)
    for search in (index.search_poses, index.search_poses_mirrored):
        with pytest.raises(PoseError) as refused:
            search(bad, 10)
        assert str(refused.value) == str(expected.value)


def test_an_index_unpickled_over_read_only_arrays_answers_alike(penn_valid):
    """As a server's worker gets it (arrays mapped read-only from shared memory): the compiled
    kernels are made again for those arrays and answer as the original index does."""
    keypoints = penn_valid[0]
    index = BoxTreeIndex(to_vectors(keypoints[:3000]), "cosine")
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(index, protocol=5, buffer_callback=buffers.append)
    copy = pickle.loads(data, buffers=[bytes(b.raw()) for b in buffers])  # read-only
    assert not copy.vectors.flags.writeable
    poses = np.ascontiguousarray(keypoints[3000:3004])
    plain, flipped = to_vectors_mirrored(poses)
    for got, want in [(copy.search_poses(poses, 10), index.search_poses(poses, 10)),
                      (copy.search_poses_mirrored(poses, 10),
                       index.search_poses_mirrored(poses, 10)),
                      (copy.search(plain[:1], 10), index.search(plain[:1], 10)),
                      (copy.search_mirrored(plain, flipped, 10),
                       index.search_mirrored(plain, flipped, 10))]:
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
