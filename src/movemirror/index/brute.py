"""Exact search by computing every distance: the baseline every other index must match."""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np

from movemirror.distances import METRICS, check_metric, cosine_distance_at
from movemirror.index.protocol import SearchesPosesAsVectors
from movemirror.vectors import XY

_BLOCK = 16_384  # bank rows per block, to bound the (Q, block, 34) work arrays of "weighted"


def top_k(distances: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k smallest of each row, sorted, ties broken by lower index."""
    n = distances.shape[1]
    k = min(k, n)
    if k < n:
        part = np.argpartition(distances, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), distances.shape).copy()
    picked = np.take_along_axis(distances, part, axis=1)
    order = np.lexsort((part, picked), axis=1)
    return np.take_along_axis(picked, order, axis=1), np.take_along_axis(part, order, axis=1)


def sort_rows(distances: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by distance, then index."""
    order = np.lexsort((indices, distances), axis=1)
    return np.take_along_axis(distances, order, 1), np.take_along_axis(indices, order, 1)


class BruteForceIndex(SearchesPosesAsVectors):
    name: ClassVar[str] = "brute"
    exact_metrics: ClassVar[tuple[str, ...]] = METRICS

    def __init__(self, vectors: np.ndarray, metric: str):
        self._distance = check_metric(metric).function
        self.metric = metric
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._xy_t = np.ascontiguousarray(self.vectors[:, XY].T)

    @classmethod
    def build(cls, vectors: np.ndarray, metric: str) -> Self:
        return cls(vectors, metric)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if self.metric == "cosine":
            cos = np.clip(queries[:, XY] @ self._xy_t, -1.0, 1.0)
            _, i = top_k(-cos, k)
            return sort_rows(cosine_distance_at(queries, self.vectors, i), i)
        best_d = np.empty((len(queries), 0), np.float32)  # an empty bank finds nothing
        best_i = np.empty((len(queries), 0), np.int64)
        for start in range(0, len(self.vectors), _BLOCK):
            block = self.vectors[start : start + _BLOCK]
            d, i = top_k(self._distance(queries, block), k)
            i = i + start
            if best_d.shape[1]:
                d, j = top_k(np.concatenate([best_d, d], 1), k)
                i = np.take_along_axis(np.concatenate([best_i, i], 1), j, 1)
            best_d, best_i = d, i
        return best_d.astype(np.float32), best_i

    @property
    def nbytes(self) -> int:
        return self.vectors.nbytes + self._xy_t.nbytes
