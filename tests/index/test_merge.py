"""Merging a query's matches with its mirrored query's: each bank pose once, at its better
side, as a stable sort of both lists side by side gives it."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from movemirror.index.topk import merge_unique


def _by_stable_sort(d, i, other_d, other_i, k):
    """The same merge in plain numpy: sort both lists side by side (stably), keep each
    index's first occurrence, take k."""
    distances = np.concatenate([d, other_d])
    indices = np.concatenate([i, other_i])
    other = np.concatenate([np.zeros(len(d), bool), np.ones(len(other_d), bool)])
    order = np.argsort(distances, kind="stable")
    _, first = np.unique(indices[order], return_index=True)
    keep = order[np.sort(first)][:k]
    return distances[keep], indices[keep], other[keep]


def _sorted_list(draw, k, pool):
    indices = np.array(draw(st.lists(st.integers(0, pool - 1), min_size=k, max_size=k,
                                     unique=True)), np.int64)
    # Few distinct distances, so that ties within and across the lists are common.
    distances = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.5]),
                                       min_size=k, max_size=k)), np.float32)
    order = np.lexsort((indices, distances))
    return distances[order], indices[order]


@st.composite
def _two_lists(draw):
    k = draw(st.integers(1, 12))
    pool = draw(st.integers(k, 3 * k))  # a small pool: many indices in both lists
    d, i = _sorted_list(draw, k, pool)
    other_d, other_i = _sorted_list(draw, k, pool)
    return d, i, other_d, other_i, k


@settings(deadline=None, max_examples=300)
@given(_two_lists())
def test_merge_keeps_each_pose_once_at_its_better_side(lists):
    d, i, other_d, other_i, k = lists
    found = merge_unique(d[None], i[None], other_d[None], other_i[None], k)
    expected = _by_stable_sort(d, i, other_d, other_i, k)
    for got, want in zip(found, expected, strict=True):
        np.testing.assert_array_equal(got[0], want)
    assert len(set(found[1][0].tolist())) == k


def test_merge_answers_each_row_on_its_own():
    d = np.array([[0.1, 0.3], [0.2, 0.4]], np.float32)
    i = np.array([[5, 6], [7, 8]], np.int64)
    other_d = np.array([[0.05, 0.3], [0.1, 0.2]], np.float32)
    other_i = np.array([[6, 9], [8, 7]], np.int64)
    distances, indices, other = merge_unique(d, i, other_d, other_i, 2)
    np.testing.assert_array_equal(indices, [[6, 5], [8, 7]])
    np.testing.assert_array_equal(distances, np.array([[0.05, 0.1], [0.1, 0.2]], np.float32))
    np.testing.assert_array_equal(other, [[True, False], [True, False]])
