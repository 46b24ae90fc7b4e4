"""A binary min-heap of (bound, node) pairs in preallocated arrays, for numba search loops."""

from __future__ import annotations

from numba import njit

# Plain njit, which LLVM inlines: numba's own inline="always" copies the array arguments at
# every call site, each copy an atomic reference-count update (hundreds per query in the box
# tree's walk).


@njit(cache=True)
def push(bounds, nodes, size, bound, node) -> int:
    """Add (bound, node); returns the new size. The arrays must have room."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if bounds[parent] <= bound:
            break
        bounds[i] = bounds[parent]
        nodes[i] = nodes[parent]
        i = parent
    bounds[i] = bound
    nodes[i] = node
    return size + 1


@njit(cache=True)
def pop(bounds, nodes, size):
    """Remove the pair with the smallest bound; returns (bound, node, new size)."""
    bound, node = bounds[0], nodes[0]
    size -= 1
    _sift_down(bounds, nodes, 0, size, bounds[size], nodes[size])
    return bound, node, size


@njit(cache=True)
def _sift_down(bounds, nodes, i, size, bound, node) -> None:
    """Put (bound, node) into the hole at i, moving smaller children up; below i, both
    subtrees must already be heaps."""
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and bounds[child + 1] < bounds[child]:
            child += 1
        if bounds[child] >= bound:
            break
        bounds[i] = bounds[child]
        nodes[i] = nodes[child]
        i = child
    bounds[i] = bound
    nodes[i] = node
