"""A sorted top-k buffer for numba search loops: the k best (distance, index) pairs so far.

Order is by distance, then by lower index, which is how brute force breaks exact ties.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def reset(best_d: np.ndarray, best_i: np.ndarray) -> None:
    best_d[:] = np.inf
    best_i[:] = np.iinfo(np.int64).max


@njit(cache=True)
def sort_pairs(best_d: np.ndarray, best_i: np.ndarray) -> None:
    """Sort the pairs in place by distance, then index (insertion sort: k is small)."""
    for n in range(1, len(best_d)):
        _place(best_d[n], best_i[n], best_d, best_i, n)


@njit(cache=True, inline="always")
def beats(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray) -> bool:
    """Whether (d, i) belongs in the buffer: it beats the current k-th pair."""
    last = len(best_d) - 1
    return d < best_d[last] or (d == best_d[last] and i < best_i[last])


@njit(cache=True, inline="always")
def insert(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray) -> None:
    """Insert (d, i), dropping the k-th pair; call only when beats() holds."""
    _place(d, i, best_d, best_i, len(best_d) - 1)


@njit(cache=True, inline="always")
def _place(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray, j: int) -> None:
    """Put (d, i) at slot j or earlier, shifting worse pairs one slot towards j."""
    while j > 0 and (best_d[j - 1] > d or (best_d[j - 1] == d and best_i[j - 1] > i)):
        best_d[j] = best_d[j - 1]
        best_i[j] = best_i[j - 1]
        j -= 1
    best_d[j] = d
    best_i[j] = i
