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
    last_bound, last_node = bounds[size], nodes[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and bounds[child + 1] < bounds[child]:
            child += 1
        if bounds[child] >= last_bound:
            break
        bounds[i] = bounds[child]
        nodes[i] = nodes[child]
        i = child
    bounds[i] = last_bound
    nodes[i] = last_node
    return bound, node, size
