"""Lay out a point set as a binary tree of contiguous blocks, split along principal axes.

Real poses have few degrees of freedom, so splitting each node at the median of its points'
first principal component gives tight blocks. The points are reordered so every node covers
one contiguous range [start, end) of the reordered array: one feature matrix, no pointers
into scattered memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

_PCA_SAMPLE = 256  # points per node used to estimate its principal axis
_ITERATIONS = 5


@dataclass(frozen=True)
class Layout:
    order: np.ndarray  # (N,) int64: original index of each reordered point
    start: np.ndarray  # (M,) int64: first reordered point of each node
    end: np.ndarray  # (M,) int64: one past its last
    left: np.ndarray  # (M,) int64: child nodes, -1 for a leaf
    right: np.ndarray
    axis: np.ndarray  # (M, D) float32: the unit axis a node is split along (0 for a leaf)
    # (M, 2) float32: the range of a node's points projected on its parent's axis (the slab
    # it lies in; the root's is -inf, inf)
    slab: np.ndarray


@njit(cache=True)
def _covariance_times(centred, axis):
    """centred.T @ (centred @ axis), in plain loops (no BLAS threads for tiny products)."""
    out = np.zeros(centred.shape[1])
    for i in range(centred.shape[0]):
        dot = 0.0
        for d in range(centred.shape[1]):
            dot += centred[i, d] * axis[d]
        for d in range(centred.shape[1]):
            out[d] += dot * centred[i, d]
    return out


@njit(cache=True)
def principal_axis(points, sample, iterations):
    """The direction of largest spread of (a strided sample of) the points, by power
    iteration from the direction of the point farthest from their mean.

    Done in numba: LAPACK's threads make thousands of tiny eigh calls slow on a busy machine.
    """
    step = max(1, len(points) // sample)
    rows = points[::step].astype(np.float64)
    centred = rows - rows.sum(axis=0) / len(rows)
    norms = (centred * centred).sum(axis=1)
    axis = centred[np.argmax(norms)].copy()
    for _ in range(iterations):
        length = np.sqrt((axis * axis).sum())
        if length == 0.0:
            break
        axis /= length
        axis = _covariance_times(centred, axis)
    length = np.sqrt((axis * axis).sum())
    out = np.zeros(points.shape[1], np.float32)
    if length > 0.0:
        out[:] = axis / length
    else:
        out[0] = 1.0
    return out


def principal_axes(points: np.ndarray, sample: int = 50_000) -> np.ndarray:
    """A rotation (dim, dim) whose rows are the principal axes, largest variance first."""
    step = max(1, len(points) // sample)
    # As float64 (exactly the sums _covariance makes of float32 points), C-contiguous: one
    # compiled _covariance for every caller, not one per type and layout.
    _, vectors = np.linalg.eigh(_covariance(np.ascontiguousarray(points[::step], np.float64)))
    return np.ascontiguousarray(vectors[:, ::-1].T)


@njit(cache=True)
def _covariance(points):
    n, dim = points.shape
    mean = np.zeros(dim)
    for i in range(n):
        for d in range(dim):
            mean[d] += points[i, d]
    mean /= n
    out = np.zeros((dim, dim))
    row = np.empty(dim)
    for i in range(n):
        for d in range(dim):
            row[d] = points[i, d] - mean[d]
        for a in range(dim):
            for b in range(a, dim):
                out[a, b] += row[a] * row[b]
    for a in range(dim):
        for b in range(a):
            out[a, b] = out[b, a]
    return out


def split_tree(points: np.ndarray, leaf_size: int) -> Layout:
    """Splits along each node's principal axis until nodes hold <= leaf_size points.

    Each split is at the median rounded up to a multiple of leaf_size, so every leaf but
    one is full.
    """
    n, dim = points.shape
    work = np.array(points, dtype=np.float32, copy=True)
    order = np.arange(n, dtype=np.int64)
    start, end, left, right = [0], [n], [-1], [-1]
    axis = [np.zeros(dim, np.float32)]
    slab = [(-np.inf, np.inf)]
    stack = [0]
    while stack:
        node = stack.pop()
        s, e = start[node], end[node]
        if e - s <= leaf_size:
            continue
        block = work[s:e]
        half = -(-(e - s) // (2 * leaf_size)) * leaf_size
        axis[node] = principal_axis(block, _PCA_SAMPLE, _ITERATIONS)
        projected = block @ axis[node]
        part = np.argpartition(projected, half)
        projected = projected[part]
        work[s:e] = block[part]
        order[s:e] = order[s:e][part]
        for lo, hi, side in ((s, s + half, projected[:half]), (s + half, e, projected[half:])):
            start.append(lo)
            end.append(hi)
            left.append(-1)
            right.append(-1)
            axis.append(np.zeros(dim, np.float32))
            slab.append((side.min(), side.max()))
        left[node], right[node] = len(start) - 2, len(start) - 1
        stack.extend((left[node], right[node]))
    as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return Layout(order, as_array(start), as_array(end), as_array(left), as_array(right),
                  np.array(axis, np.float32).reshape(-1, dim), np.array(slab, np.float32))


@njit(cache=True)
def node_boxes(points, start, end):
    """Per node, the bounding box (lo, hi) of its points."""
    m, dim = len(start), points.shape[1]
    lo = np.empty((m, dim), np.float32)
    hi = np.empty((m, dim), np.float32)
    for node in range(m):
        s, e = start[node], end[node]
        lo[node] = points[s]
        hi[node] = points[s]
        for i in range(s + 1, e):
            for d in range(dim):
                lo[node, d] = min(lo[node, d], points[i, d])
                hi[node, d] = max(hi[node, d], points[i, d])
    return lo, hi


def leaf_blocks(points: np.ndarray, layout: Layout, leaf_size: int):
    """The leaves' points as blocks (B, dim, leaf_size), transposed so one dimension of a
    whole block is contiguous (the scan vectorises across points).

    Returns the blocks, their original indices (B, leaf_size) and each leaf node's block.
    """
    leaves = np.flatnonzero(layout.left < 0)
    dim = points.shape[1]
    blocks = np.zeros((len(leaves), dim, leaf_size), np.float32)
    ids = np.full((len(leaves), leaf_size), -1, np.int64)
    block_of = np.full(len(layout.start), -1, np.int64)
    for b, node in enumerate(leaves):
        s, e = layout.start[node], layout.end[node]
        blocks[b, :, : e - s] = points[s:e].T
        blocks[b, :, e - s :] = points[s, :, None]  # padding repeats a real point
        ids[b, : e - s] = layout.order[s:e]
        block_of[node] = b
    return blocks, ids, block_of


def search_tree(points: np.ndarray, leaf_size: int) -> tuple:
    """The tree the compiled box-tree walk takes (`boxtree._search_one`'s `tree`): left, right,
    lo, hi, block_of, blocks, ids, axis, slab."""
    layout = split_tree(points, leaf_size)
    reordered = np.ascontiguousarray(points[layout.order])
    lo, hi = node_boxes(reordered, layout.start, layout.end)
    blocks, ids, block_of = leaf_blocks(reordered, layout, leaf_size)
    return (layout.left, layout.right, lo, hi, block_of, blocks, ids, layout.axis, layout.slab)
