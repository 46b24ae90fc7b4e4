"""Recall@k: how much of the exact top-k an index found."""

from __future__ import annotations

import numpy as np

from movemirror.distances import distance

# Float32 distances closer than this are a tie: brute force may rank either pose first.
TIE = 1e-6


def true_distances(queries: np.ndarray, bank: np.ndarray, indices: np.ndarray,
                   metric: str) -> np.ndarray:
    """The exact distance from each query to each of its found poses, (Q, k)."""
    return np.stack([distance(q, bank[row], metric)[0]
                     for q, row in zip(queries, indices, strict=True)])


def recall_at_k(found: np.ndarray, truth: np.ndarray, tie: float = TIE) -> float:
    """Mean over queries of the share of found poses that belong in the exact top-k.

    found: the true distances (Q, k) of the poses an index returned (see true_distances);
    truth: brute force's distances (Q, k). A pose belongs if it is no farther than the
    exact k-th, up to a float tie, as ann-benchmarks counts recall.
    """
    if truth.size == 0:
        return 1.0
    return float(np.mean(found <= truth[:, -1:] + tie))
