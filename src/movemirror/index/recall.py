"""Recall@k: how much of the exact top-k an index found."""

from __future__ import annotations

import numpy as np


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean over queries of |found ∩ truth| / k, for index arrays (Q, k)."""
    if truth.size == 0:
        return 1.0
    hits = [len(np.intersect1d(f, t)) for f, t in zip(found, truth, strict=True)]
    return float(np.sum(hits) / truth.size)
