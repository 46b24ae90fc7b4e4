"""A vantage-point tree, as the original Move Mirror used (vptree.js): the reference to beat.

Each node is one bank pose, the vantage point; the rest of its subtree is split at the median
distance mu to it into an inside (<= mu) and an outside (>= mu) half. A search skips a half
when the triangle inequality proves it holds nothing within the current k-th best distance.

That proof needs a metric. Cosine distance on unit vectors is the Euclidean chord, a metric,
so the tree is exact there. Built on the weighted distance, which is asymmetric and breaks
the triangle inequality, the same search silently misses true neighbours: kept for the
benchmark to show it, not for use.
"""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
from numba import njit

from movemirror.distances import VALID_METRICS, check_metric, pair_distance
from movemirror.index import topk
from movemirror.index.protocol import SearchesPosesAsVectors


@njit(cache=True)
def _build(vectors, kernel, seed):
    """The tree as a permutation: the node of segment [s, e) sits at s, its vantage point is
    order[s], its inside half is the segment starting at s + 1 and its outside half follows."""
    n = len(vectors)
    np.random.seed(seed)
    order = np.arange(n)
    mu = np.zeros(n, np.float64)
    inside = np.full(n, -1, np.int64)
    outside = np.full(n, -1, np.int64)
    seg_start = np.empty(n + 1, np.int64)
    seg_end = np.empty(n + 1, np.int64)
    seg_start[0], seg_end[0] = 0, n
    top = 1
    while top > 0:
        top -= 1
        s, e = seg_start[top], seg_end[top]
        pick = s + np.random.randint(e - s)
        order[s], order[pick] = order[pick], order[s]
        rest = e - s - 1
        if rest == 0:
            continue
        dist = np.empty(rest, np.float64)
        for j in range(rest):
            dist[j] = pair_distance(vectors[order[s]], vectors[order[s + 1 + j]], kernel)
        by_distance = np.argsort(dist)
        order[s + 1 : e] = order[s + 1 : e][by_distance]
        half = rest // 2
        mu[s] = dist[by_distance[half]]
        if half > 0:
            inside[s] = s + 1
            seg_start[top], seg_end[top] = s + 1, s + 1 + half
            top += 1
        outside[s] = s + 1 + half
        seg_start[top], seg_end[top] = s + 1 + half, e
        top += 1
    return order, mu, inside, outside


@njit(cache=True, nogil=True)
def _search_rows(queries, vectors, kernel, order, mu, inside, outside, out_d, out_i):
    k = out_d.shape[1]
    best_d = np.empty(k, np.float64)
    best_i = np.empty(k, np.int64)
    stack = np.empty(512, np.int64)
    stack_bound = np.empty(512, np.float64)
    last = k - 1
    for r in range(len(queries)):
        q = queries[r]
        topk.reset(best_d, best_i)
        stack[0], stack_bound[0] = 0, 0.0
        top = 1
        while top > 0:
            top -= 1
            node = stack[top]
            if stack_bound[top] > best_d[last]:
                continue
            d = pair_distance(q, vectors[order[node]], kernel)
            if topk.beats(d, order[node], best_d, best_i):
                topk.insert(d, order[node], best_d, best_i)
            near, far = inside[node], outside[node]
            near_bound, far_bound = d - mu[node], mu[node] - d
            if d >= mu[node]:
                near, far = far, near
                near_bound, far_bound = far_bound, near_bound
            if far >= 0:  # pushed first, visited last
                stack[top], stack_bound[top] = far, max(0.0, far_bound)
                top += 1
            if near >= 0:
                stack[top], stack_bound[top] = near, max(0.0, near_bound)
                top += 1
        for j in range(k):
            out_d[r, j] = best_d[j]
            out_i[r, j] = best_i[j]


class VPTreeIndex(SearchesPosesAsVectors):
    """Exact for cosine; approximate (it misses) for the weighted distance."""

    name: ClassVar[str] = "vptree"
    exact_metrics: ClassVar[tuple[str, ...]] = tuple(
        name for name, metric in VALID_METRICS.items() if metric.triangle)

    def __init__(self, vectors: np.ndarray, metric: str, seed: int = 0):
        self._kernel = check_metric(metric).kernel
        self.metric = metric
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._tree: tuple[np.ndarray, ...] = ()  # order, mu, inside, outside (built below)
        if len(self.vectors):
            self._tree = _build(self.vectors, self._kernel, seed)
            self.search(self.vectors[:1], 1)  # compiles (or loads) the search kernel now

    @classmethod
    def build(cls, vectors: np.ndarray, metric: str) -> Self:
        return cls(vectors, metric)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = min(k, len(self.vectors))
        out_d = np.empty((len(queries), k), np.float32)
        out_i = np.empty((len(queries), k), np.int64)
        if k and len(queries):
            _search_rows(queries, self.vectors, self._kernel, *self._tree, out_d, out_i)
        return out_d, out_i

    @property
    def nbytes(self) -> int:
        return self.vectors.nbytes + sum(a.nbytes for a in self._tree)
