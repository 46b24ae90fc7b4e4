"""The interface every index offers: built from a bank's vectors for one metric, it answers
batches of queries with their k nearest, best first."""

from __future__ import annotations

from typing import ClassVar, Protocol, Self, runtime_checkable

import numpy as np


@runtime_checkable
class Index(Protocol):
    name: ClassVar[str]  # its key in movemirror.index.INDEX_KINDS
    exact_metrics: ClassVar[tuple[str, ...]]  # metrics it answers exactly as brute force does
    metric: str

    @classmethod
    def build(cls, vectors: np.ndarray, metric: str) -> Self:
        """The index of vectors (N, 52) for a metric of movemirror.distances.VALID_METRICS."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances (Q, k) float32, indices (Q, k) int64) for queries (Q, 52), best first;
        k is cut to the bank's size."""
        ...

    @property
    def nbytes(self) -> int:
        """Memory the index holds, the bank's vectors included."""
        ...
