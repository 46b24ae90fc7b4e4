"""A sorted top-k buffer for numba search loops: the k best (distance, index) pairs so far.

Order is by distance, then by lower index, which is how brute force breaks exact ties.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Plain njit, which LLVM inlines: numba's own inline="always" copies the array arguments at
# every call site, each copy an atomic reference-count update (hundreds per query in the box
# tree's walk).


@njit(cache=True)
def reset(best_d: np.ndarray, best_i: np.ndarray) -> None:
    best_d[:] = np.inf
    best_i[:] = np.iinfo(np.int64).max


@njit(cache=True)
def sort_pairs(best_d: np.ndarray, best_i: np.ndarray) -> None:
    """Sort the pairs in place by distance, then index (insertion sort: k is small)."""
    for n in range(1, len(best_d)):
        _place(best_d[n], best_i[n], best_d, best_i, n)


@njit(cache=True)
def beats(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray) -> bool:
    """Whether (d, i) belongs in the buffer: it beats the current k-th pair."""
    last = len(best_d) - 1
    return d < best_d[last] or (d == best_d[last] and i < best_i[last])


@njit(cache=True)
def insert(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray) -> None:
    """Insert (d, i), dropping the k-th pair; call only when beats() holds."""
    _place(d, i, best_d, best_i, len(best_d) - 1)


@njit(cache=True)
def _place(d: float, i: int, best_d: np.ndarray, best_i: np.ndarray, j: int) -> None:
    """Put (d, i) at slot j or earlier, shifting worse pairs one slot towards j."""
    while j > 0 and (best_d[j - 1] > d or (best_d[j - 1] == d and best_i[j - 1] > i)):
        best_d[j] = best_d[j - 1]
        best_i[j] = best_i[j - 1]
        j -= 1
    best_d[j] = d
    best_i[j] = i


@njit(cache=True, nogil=True)
def merge_unique(d, i, other_d, other_i, k):
    """Per row, the k best of two result lists (each sorted best first, each index at most
    once in a list), each index kept once, at its better place; ties go to the first list.

    Returns (distances, indices, from_other), each (Q, k): what a stable sort of the two
    lists side by side, keeping each index's first occurrence, gives, in one compiled pass.
    """
    rows, n, m = d.shape[0], d.shape[1], other_d.shape[1]
    out_d = np.empty((rows, k), np.float32)
    out_i = np.empty((rows, k), np.int64)
    out_other = np.zeros((rows, k), np.bool_)
    for r in range(rows):
        # An index met in one list is a repeat if the other list already gave it: find
        # where it sits there (sorted copies, binary search) and compare with the cursor.
        order, order_other = np.argsort(i[r]), np.argsort(other_i[r])
        sorted_i, sorted_other = i[r][order], other_i[r][order_other]
        a = b = filled = 0
        while filled < k and (a < n or b < m):
            if b >= m or (a < n and d[r, a] <= other_d[r, b]):
                index, distance, in_other = i[r, a], d[r, a], False
                a += 1
                at = np.searchsorted(sorted_other, index)
                repeat = at < m and sorted_other[at] == index and order_other[at] < b
            else:
                index, distance, in_other = other_i[r, b], other_d[r, b], True
                b += 1
                at = np.searchsorted(sorted_i, index)
                repeat = at < n and sorted_i[at] == index and order[at] < a
            if not repeat:
                out_d[r, filled] = distance
                out_i[r, filled] = index
                out_other[r, filled] = in_other
                filled += 1
    return out_d, out_i, out_other
