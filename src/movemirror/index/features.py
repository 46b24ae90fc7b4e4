"""Exact top-k over feature vectors of any dimension by a weighted L1 distance, in the box
tree (movemirror.index.boxtree) laid out by movemirror.index.partition.

The distance from a query q with weights w (given with each query; a zero leaves a dimension
out) to a point x is sum_d w_d |q_d - x_d|, which a box bounds from below as the pose box
tree's weighted metric does. Movement search keeps its windows' features here
(movemirror.motion.windows); pose search keeps to the pose indexes of movemirror.index.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from movemirror.index.boxtree import _SLACK, LEAF_SIZE, _search_one
from movemirror.index.partition import search_tree


@njit(cache=True)
def _search_rows(queries, weights, tree, reach, out_d, out_i):
    k = out_d.shape[1]
    best_d = np.empty(k, np.float32)
    best_i = np.empty(k, np.int64)
    acc = np.empty(tree[5].shape[2], np.float32)
    heap_bound = np.empty(len(tree[0]), np.float32)
    heap_node = np.empty(len(tree[0]), np.int64)
    # No seeded walk here: no bound past the first dimensions, no buckets.
    rest = np.zeros((2, len(tree[5])), np.float32)
    zero = np.float32(0.0)
    # Not literals (True, 0): those would compile _search_one again beside the box tree's
    # (6 s of a cold server start), and ran no faster (1.04-1.07x the other way).
    weighted, none = np.bool_(True), np.int64(0)
    for r in range(len(queries)):
        _search_one(queries[r], weights[r], weighted, tree, best_d, best_i, acc, heap_bound,
                    heap_node, rest, reach, none, none, np.inf, zero, zero)
        out_d[r] = best_d
        out_i[r] = best_i


class FeatureTree:
    """The k nearest feature vectors (N, D) to each query, by a per-query weighted L1."""

    def __init__(self, features: np.ndarray, leaf_size: int = LEAF_SIZE):
        features = np.asarray(features, dtype=np.float32)
        self.size, self.dim = features.shape
        # Widest dimensions first: a block's scan stops early once its first few put every
        # point out of reach.
        self._order = np.argsort(-features.var(axis=0), kind="stable") if self.size else (
            np.arange(self.dim))
        space = np.ascontiguousarray(features[:, self._order])
        self._tree = None
        if self.size:
            self._tree = search_tree(space, leaf_size)

    def search(self, queries, weights, k: int,
               epsilon: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(distances (Q, k) float32, indices (Q, k) int64), best first; k is cut to the size.

        queries and weights: (Q, D) or (D,); weights non-negative. epsilon > 0: (1 + epsilon)-
        approximate (a branch is skipped once its bound exceeds the k-th best found / (1 +
        epsilon)), as the approximate box tree does; 0: exact.
        """
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        weights = np.broadcast_to(np.asarray(weights, dtype=np.float32), queries.shape)
        if queries.shape[1] != self.dim:
            raise ValueError(f"queries of {queries.shape[1]} features for a tree of {self.dim}")
        if (weights < 0).any():
            raise ValueError("weights must not be negative")
        k = min(k, self.size)
        out_d = np.empty((len(queries), k), np.float32)
        out_i = np.empty((len(queries), k), np.int64)
        if k == 0 or not len(queries):
            return out_d, out_i
        _search_rows(np.ascontiguousarray(queries[:, self._order]),
                     np.ascontiguousarray(weights[:, self._order]), self._tree,
                     np.float32(_SLACK / (1.0 + epsilon)), out_d, out_i)
        return out_d, out_i

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._tree) if self._tree else 0
