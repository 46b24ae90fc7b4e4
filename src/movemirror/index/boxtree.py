"""Exact search in a tree of pose blocks bounded by axis-aligned boxes.

The bank is laid out by movemirror.index.partition: a binary tree split along principal
axes whose leaves are blocks of EXACT_LEAF_SIZE poses. A query visits blocks in order of
their lower bound, and stops once the nearest bound left exceeds its k-th best; it bounds
every block at once (_seed_leaves) in banks of up to SEED_BLOCKS_MAX blocks (cosine:
COSINE_SEED_BLOCKS_MAX), and beyond,
or with a budget of blocks, walks the tree from the root, nodes best first. The bounds:

- cosine on unit x/y vectors ranks like Euclidean distance, which a rotation preserves; the
  bank is rotated onto its principal axes, where boxes are tight, and a box bounds the
  squared distance by sum_d max(0, lo_d - q_d, q_d - hi_d)^2;
  each node also lies in a slab along its parent's split axis (principal axes of deeper
  nodes are oblique to the bank's), which bounds it by the squared gap to the slab; the
  larger of the two bounds is used in the walk from the root (a third fewer nodes and
  blocks visited on real poses);
- the weighted distance is an L1 distance with the query's confidences as weights, and
  sum_d w_d * max(0, lo_d - q_d, q_d - hi_d) bounds it from below for any weights, though
  it is not a metric (no rotation there: the dimensions are only reordered by spread).

Bounds and distances are summed in float32; a node is pruned only when its bound exceeds the
k-th best by more than rounding could explain. The k found are then re-scored in float64
against the original vectors, as brute force scores them, and sorted by distance, then lower
index.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Self

import numpy as np
from numba import njit, prange, typeof

from movemirror.distances import (
    COSINE_KERNEL,
    VALID_METRICS,
    WEIGHTED_KERNEL,
    check_metric,
    pair_distance,
)
from movemirror.errors import UnknownMetricError
from movemirror.index import heap, topk
from movemirror.index.partition import principal_axes, search_tree
from movemirror.index.prefetch import CACHE_LINE, prefetch
from movemirror.index.protocol import search_poses_as_vectors, search_poses_mirrored_as_vectors
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.vectors import (
    CONFIDENCE_SUM,
    MIN_CONFIDENT_KEYPOINTS,
    MIN_SCORE,
    VECTOR_DIM,
    XY,
    XY_DIM,
    check_and_vectorise,
    to_vectors,
    with_mirror_images,
)

LEAF_SIZE = 32  # poses per block: the feature tree's and the approximate index's
# The exact index's blocks: 64 took 0.8x the time per query of 32 (and 16 1.4x; 96-256 about
# the same as 64) on 80k Penn Action poses, both metrics, queries not those of bench search.
EXACT_LEAF_SIZE = 64
# Bounds and distances are float32 sums in whatever order the compiler vectorises them; a node
# is skipped only when its bound exceeds the k-th best by more than their rounding (~34 ulp).
_SLACK = np.float32(1.0 + 1e-5)
# The exact walk starts from every block's bound (_seed_leaves) in banks of up to this many
# blocks. Against the walk from the root (same run, Penn Action poses, p50 of one query) the
# weighted one took 1/1.4 of the time at 1,250 and 2,500 blocks, 1/1.5 at 5,000, 1/1.6 at
# 10,000 and 1/1.7 at 15,625 (1M poses), then with a heap of the blocks; the cosine one, with
# buckets, the same p50 at 1,250 blocks (0.98-1.02x) but 1/1.4 of the p90 and 1/1.14 of the
# mean. Larger weighted banks are not measured. A budgeted (approximate) walk scans far fewer blocks
# than it would bound, so it always starts at the root.
SEED_BLOCKS_MAX = 16_384
# Cosine's tree walk prunes well, so bounding every block stops paying sooner: against the walk
# from the root, p50 1.05x at 2,500 blocks, 0.88x at 5,000 and 0.78x at 15,625 (p90 1.5x,
# 1.48x, 1.18x; same run, 300 held-out Penn Action queries).
COSINE_SEED_BLOCKS_MAX = 4_096
# The seeded walk takes blocks in this many buckets of increasing bound, not from a heap
# (1.24-1.31x per weighted query at 80k; 128 or 2,048 buckets: within 2% of 512).
_BUCKETS = 512
_PARALLEL_FROM = 32  # queries per call from which a batch is spread over all cores
# A seeded block is also checked after its first 8 dimensions, with its box's bound over the
# rest: 1.04x (weighted) and 1.05-1.07x (cosine) against the check after 16 alone (without
# that bound, in the walk from the root, weighted took 0.95x and cosine 1.03x: not done there).
_EARLY_DIMS = 8
# The seeded walk prefetches the block this many places on, its first _FETCH_DIMS dimensions:
# 1.01-1.06x for cosine (median 1.035), 1.00-1.05x weighted (other places and dimensions:
# 0.98-1.05x; 80k Penn Action poses).
_AHEAD = 3
_FETCH_DIMS = 4
_FIRST_DIMS = 16  # dimensions scanned before a block is checked against the k-th best (10: 1.15x
# slower for weighted, the same for cosine, on 80k Penn Action poses)
# Projections of the bank (numpy) and of a query (the walk) round differently, by about
# 1e-7 on unit vectors; a slab's gap is shrunk by this much so that it never exceeds the
# true distance (a query equal to a bank pose always gets 0).
_SLAB_MARGIN = np.float32(1e-5)
# A parallel search already uses every core, and numba's workqueue threading layer (where
# neither TBB nor OpenMP is installed) must not be entered by two threads at once.
_PARALLEL_LOCK = threading.Lock()
_MIN_SCORE = np.float32(MIN_SCORE)  # as to_vectors passes it to check_and_vectorise
# The metrics whose box bounds the walk knows (see the module's docstring): by their kernel,
# so "torso", the weighted L1 in another vector space, is bounded like "weighted".
BOUNDED_METRICS = tuple(name for name, metric in VALID_METRICS.items()
                        if metric.kernel in (COSINE_KERNEL, WEIGHTED_KERNEL))


# Float sums may be reordered (vectorised) and fused; not fastmath=True, whose "no infinities"
# would break comparisons with the top-k's initial infinite distances.
_FAST = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FAST)
def _search_one(q, w, weighted, tree, best_d, best_i, acc, heap_bound, heap_node, rest, reach,
                max_leaves, seeded, cap, low, scale):
    """Best first: nodes come off a heap by lower bound; the walk ends when the nearest bound
    is beyond reach times the current k-th best (reach just above 1: exact; below 1:
    (1 + epsilon)-approximate), or after max_leaves blocks (0: no limit). The heap starts
    with the root; when seeded > 0, there is no heap: the seeded blocks are taken in the
    buckets of increasing bound _seed_leaves put them in (heap_bound, heap_node, with
    _bucket's low and scale), skipping those out of reach, until a whole bucket is.
    Only poses within cap are wanted: slots left unfilled keep distance cap and index
    int64 max (the mirrored walk, which needs nothing beyond the plain walk's k-th best).
    rest: (2, blocks), per block the box bound over its dimensions past the first
    _EARLY_DIMS and past the first _FIRST_DIMS (_seed_leaves sets them; 0 bounds nothing),
    added to a block's partial sums when it is checked after those dimensions (the walk from
    the root leaves it 0: computing it there made cosine 0.94-0.96x as fast).

    One function, indexing whole arrays by row: every array numba passes to a helper or
    slices (lo[node]) costs atomic reference-count updates, which took 40% of a query's time.
    """
    left, right, lo, hi, block_of, blocks, ids, axis, slab = tree
    dim, width = q.shape[0], blocks.shape[2]
    first = min(_FIRST_DIMS, blocks.shape[1])  # the feature tree's blocks may have fewer dims
    early = min(_EARLY_DIMS, first) if seeded > 0 else 0  # (rest bounds only seeded blocks)
    zero = np.float32(0.0)
    line = CACHE_LINE // blocks.itemsize  # values per cache line
    topk.reset(best_d, best_i)
    if cap < np.inf:
        best_d[:] = np.float32(cap)
    last = len(best_d) - 1
    size = 0 if seeded > 0 else heap.push(heap_bound, heap_node, np.int64(0), zero, np.int64(0))
    cursor = 0
    scanned = 0
    while True:
        if seeded > 0:
            if cursor == seeded:
                break
            # Blocks come in buckets of increasing bound (_seed_leaves), in any order within
            # one: a block out of reach is skipped, and once a bucket is out of reach, so are
            # all after it (its key is monotone in the bound; one bucket spare for rounding).
            bound, node = heap_bound[cursor], heap_node[cursor]
            limit = best_d[last] * reach
            if bound > limit:
                if _bucket(bound, low, scale) > np.float32(np.float32(limit - low) * scale) + 1:
                    break
                cursor += 1
                continue
            cursor += 1
            # The block _AHEAD places on, if in reach now, starts coming from memory while
            # this one and the next are scanned: its first _FETCH_DIMS dimensions, every
            # other cache line (the CPU fetches lines in pairs).
            ahead = cursor + _AHEAD - 1
            if ahead < seeded and heap_bound[ahead] <= limit:
                coming = block_of[heap_node[ahead]]
                for d in range(_FETCH_DIMS):
                    for j in range(0, width, 2 * line):
                        prefetch(blocks, coming, d, j)
        else:
            if size == 0:
                break
            bound, node, size = heap.pop(heap_bound, heap_node, size)
            if bound > best_d[last] * reach:
                break
        if left[node] < 0:
            # A block's dimensions come largest spread first, so after the first few the
            # whole block is usually already out of reach and the rest is skipped.
            b = block_of[node]
            for j in range(width):
                acc[j] = zero
            for stage in range(3):
                start = 0 if stage == 0 else (early if stage == 1 else first)
                stop = early if stage == 0 else (first if stage == 1 else dim)
                for d in range(start, stop):
                    qd, wd = q[d], w[d]
                    if weighted:
                        for j in range(width):
                            acc[j] += wd * abs(qd - blocks[b, d, j])
                    else:
                        for j in range(width):
                            diff = qd - blocks[b, d, j]
                            acc[j] += diff * diff
                if stage < 2:
                    if stop == 0:  # no early check
                        continue
                    # Every point lies in the block's box, so past these dimensions it is
                    # at least the box's bound there (rest) farther than its partial sum.
                    # Counted, not a running min(), which compiles to a chain of
                    # NaN-aware comparisons that does not vectorise (rounding is monotone,
                    # so this is min(acc) + rest > limit exactly).
                    limit, past = best_d[last] * reach, rest[stage, b]
                    near = 0
                    for j in range(width):
                        near += acc[j] + past <= limit
                    if near == 0:
                        break
                else:
                    for j in range(width):
                        if acc[j] > best_d[last]:  # (beats' first test, before ids is read)
                            continue
                        i = ids[b, j]
                        if i >= 0 and topk.beats(acc[j], i, best_d, best_i):
                            topk.insert(acc[j], i, best_d, best_i)
            scanned += 1
            if scanned == max_leaves:
                break
            continue
        limit = best_d[last] * reach
        along = zero
        if not weighted:
            for d in range(dim):
                along += axis[node, d] * q[d]
        for side in range(2):
            child = left[node] if side == 0 else right[node]
            # The box's bound (module docstring), and for cosine the slab's.
            total = zero
            if weighted:
                for d in range(dim):
                    total += w[d] * max(zero, lo[child, d] - q[d], q[d] - hi[child, d])
            else:
                for d in range(dim):
                    gap = max(zero, lo[child, d] - q[d], q[d] - hi[child, d])
                    total += gap * gap
                gap = max(zero, slab[child, 0] - along, along - slab[child, 1]) - _SLAB_MARGIN
                if gap > zero:
                    total = max(total, gap * gap)
            if total <= limit:
                size = heap.push(heap_bound, heap_node, size, total, child)


def leaf_seeds(left, lo, hi, block_of):
    """The blocks' boxes dimension by dimension, (dim, blocks) each, and each block's leaf."""
    leaves = np.flatnonzero(left < 0)
    leaves = leaves[np.argsort(block_of[leaves])]
    return (np.ascontiguousarray(lo[leaves].T), np.ascontiguousarray(hi[leaves].T),
            np.ascontiguousarray(leaves, dtype=np.int64))


@njit(cache=True, fastmath=_FAST)
def _seed_leaves(q, w, weighted, seeds, heap_bound, heap_node, rest, raw, keys, counts):
    """Puts every block's leaf and box bound (weighted L1, else squared Euclidean) in
    heap_node/heap_bound, in _BUCKETS buckets of increasing bound (a counting sort; the
    bucket of a bound is _bucket's), and each block's bound past _EARLY_DIMS and past
    _FIRST_DIMS in rest (2, blocks); returns (blocks, low, scale), _bucket's arguments.
    seeds: leaf_seeds; raw, keys, counts: scratch.

    The exact walk starts here instead of at the root: the weighted L1 bounds prune so little
    that the tree's inner nodes cost more than bounding every block at once, dimension by
    dimension across all blocks (leaf_lo, leaf_hi: (dim, blocks)), which vectorises; cosine's
    prune well, but the nodes' boxes are read from cold caches. The weighted walk visits a
    fifth of the blocks, which a heap's pops made dear: buckets cost 0.8x the time.
    The dimensions are summed last first, so each partial bound (rest[1], rest[0], raw) starts
    from the one before it instead of being added up in passes of their own.
    """
    leaf_lo, leaf_hi, leaf_node = seeds
    zero = np.float32(0.0)
    blocks = leaf_lo.shape[1]
    dim = q.shape[0]
    first = min(_FIRST_DIMS, dim)
    early = min(_EARLY_DIMS, first)
    for stage in range(3):
        # rest[1]: dimensions first.. ; rest[0]: early.. ; raw: all of them.
        part = rest[1] if stage == 0 else (rest[0] if stage == 1 else raw)
        if stage == 0:
            for b in range(blocks):
                part[b] = zero
        else:
            before = rest[1] if stage == 1 else rest[0]
            for b in range(blocks):
                part[b] = before[b]
        stop = first if stage == 0 else (early if stage == 1 else 0)
        start = dim if stage == 0 else (first if stage == 1 else early)
        for d in range(start - 1, stop - 1, -1):
            qd, wd = q[d], w[d]
            if weighted:
                for b in range(blocks):
                    gap = max(leaf_lo[d, b] - qd, qd - leaf_hi[d, b])
                    part[b] += wd * max(gap, zero)
            else:
                for b in range(blocks):
                    gap = max(leaf_lo[d, b] - qd, qd - leaf_hi[d, b], zero)
                    part[b] += gap * gap
    # The least and greatest bound by their bits: non-negative floats order as their bits
    # do, and an integer min/max vectorises (a float one, NaN-aware, does not).
    bits = raw.view(np.int32)
    low_bits = bits[0]
    high_bits = bits[0]
    for b in range(blocks):
        low_bits = min(low_bits, bits[b])
        high_bits = max(high_bits, bits[b])
    least, most = np.int32(low_bits), np.int32(high_bits)  # (numba views single definitions)
    low, high = least.view(np.float32), most.view(np.float32)
    scale = np.float32(_BUCKETS - 1) / (high - low) if high > low else zero
    if not np.isfinite(scale):  # bounds a few denormals apart
        scale = zero
    for i in range(_BUCKETS + 1):
        counts[i] = 0
    for b in range(blocks):  # (apart from the counts, so that it vectorises)
        keys[b] = _bucket(raw[b], low, scale)
    for b in range(blocks):
        counts[int(keys[b]) + 1] += 1
    for i in range(_BUCKETS):
        counts[i + 1] += counts[i]
    for b in range(blocks):
        bucket = int(keys[b])
        at = counts[bucket]
        counts[bucket] = at + 1
        heap_bound[at] = raw[b]
        heap_node[at] = leaf_node[b]
    return blocks, low, scale


@njit(cache=True, fastmath=_FAST)
def _bucket(bound, low, scale):
    """The bucket (as a float32) _seed_leaves puts a bound in: its keys are this, and the walk
    computes it again for the blocks it reaches rather than have every block's stored."""
    return min(np.floor(np.float32(np.float32(bound - low) * scale)),
               np.float32(_BUCKETS - 1))


@njit(cache=True)
def _rescore(query, vectors, kernel, best_i, out_d, out_i):
    """The found poses' distances in float64 against the original vectors; sorted."""
    k = len(best_i)
    exact = np.empty(k, np.float64)
    for j in range(k):
        exact[j] = pair_distance(query, vectors[best_i[j]], kernel)
    order = best_i.copy()
    topk.sort_pairs(exact, order)
    for j in range(k):
        out_d[j] = exact[j]
        out_i[j] = order[j]


@njit(cache=True)
def _rotate_row(row, turn, total, out):
    """out = rotation @ row[:XY_DIM] in float64, rounded to float32, where turn is the
    rotation transposed (turn[e, d] = rotation[d, e]) and total float64 scratch (XY_DIM,).
    Bank and queries go through this one function, so equal poses get bitwise-equal
    coordinates (BLAS may round equal rows differently), and exact ties stay exact.

    Each output sums its products in order of e, as a dot product row by row would, but
    all 52 sums advance together: the compiler vectorises across outputs (a row at a time
    waited on one long chain of additions: 3 us a query).
    """
    for d in range(XY_DIM):
        total[d] = 0.0
    for e in range(XY_DIM):
        x = np.float64(row[e])
        for d in range(XY_DIM):
            total[d] += turn[e, d] * x
    for d in range(XY_DIM):
        out[d] = np.float32(total[d])


@njit(cache=True)
def _rotate(rows, turn):
    out = np.empty((len(rows), XY_DIM), np.float32)
    total = np.empty(XY_DIM, np.float64)
    for i in range(len(rows)):
        _rotate_row(rows[i], turn, total, out[i])
    return out


@njit(cache=True, nogil=True)
def _scratch(tree, k, turn, weighted):
    """What _walk works in, made once per call (numba allocates faster than it takes arrays
    from Python): best_d, best_i, acc, heap_bound, heap_node, rest, raw, keys, counts, q, w,
    sums, source."""
    blocks, nodes = len(tree[5]), len(tree[0])
    source = np.zeros(XY_DIM, np.int64)  # weighted: rotation is a permutation of dimensions
    if weighted:  # (cosine: nothing computed for nothing)
        # turn's columns hold one 1 each, the rest 0: the row of each column's 1, as a sum
        # that vectorises (np.argmax over 34 column views: 1.6 us of scratch a weighted
        # query, now 1.2-1.3; cosine's is 0.2-0.5).
        for e in range(XY_DIM):
            for d in range(XY_DIM):
                source[d] += e * np.int64(turn[e, d] > 0.5)
    return (np.empty(k, np.float32), np.empty(k, np.int64),
            np.empty(tree[5].shape[2], np.float32),
            np.empty(nodes, np.float32), np.empty(nodes, np.int64),  # room for every node
            np.zeros((2, blocks), np.float32), np.empty(blocks, np.float32),
            np.empty(blocks, np.float32), np.empty(_BUCKETS + 1, np.int64),
            np.empty(XY_DIM, np.float32), np.zeros(XY_DIM, np.float32),
            np.empty(XY_DIM, np.float64), source)


@njit(cache=True, nogil=True)
def _walk(query, cap, turn, weighted, reach, max_leaves, tree, seeds, scratch):
    """One query's walk (_search_one) into scratch's best_d, best_i: the query in the
    index's space (rotated; weighted: dimensions reordered, with its weights), every block
    bounded first where the index has seeds."""
    best_d, best_i, acc, heap_bound, heap_node, rest, raw, keys, counts, q, w, sums, source = (
        scratch)
    if weighted:
        total = np.float64(query[CONFIDENCE_SUM])
        for d in range(XY_DIM):
            q[d] = query[source[d]]
            w[d] = np.float32(query[XY_DIM + source[d] // 2] / total)
    else:
        _rotate_row(query, turn, sums, q)
    seeded, low, scale = 0, np.float32(0), np.float32(0)
    if seeds[2].shape[0]:
        seeded, low, scale = _seed_leaves(q, w, weighted, seeds, heap_bound, heap_node, rest,
                                          raw, keys, counts)
    _search_one(q, w, weighted, tree, best_d, best_i, acc, heap_bound, heap_node, rest, reach,
                max_leaves, seeded, cap, low, scale)


@njit(cache=True, nogil=True)
def _search_rows(queries, first, stop, turn, weighted, kernel, reach, max_leaves, tree,
                 seeds, vectors, out_d, out_i):
    scratch = _scratch(tree, out_d.shape[1], turn, weighted)
    for r in range(first, stop):
        _walk(queries[r], np.inf, turn, weighted, reach, max_leaves, tree, seeds, scratch)
        _rescore(queries[r], vectors, kernel, scratch[1], out_d[r], out_i[r])


@njit(cache=True, nogil=True)
def _search_rows_mirrored(queries, mirrored, first, stop, turn, weighted, kernel, reach,
                          max_leaves, tree, seeds, vectors, out_d, out_i, out_m):
    """Per query its k best bank rows, each at the nearer of the query and its mirror image
    (out_m: found by the mirror image), as a search of both merged by topk.merge_unique
    gives them; the mirror image's walk keeps only what beats the plain walk's k-th best
    (with the rounding slack), which cannot change the merge's k."""
    k = out_d.shape[1]
    side_d = np.empty((2, 1, k), np.float32)
    side_i = np.empty((2, 1, k), np.int64)
    scratch = _scratch(tree, k, turn, weighted)
    best_d, best_i = scratch[0], scratch[1]
    missing = np.iinfo(np.int64).max
    for r in range(first, stop):
        for side in range(2):
            query = queries[r] if side == 0 else mirrored[r]
            cap = np.inf if side == 0 else best_d[k - 1] * _SLACK
            _walk(query, cap, turn, weighted, reach, max_leaves, tree, seeds, scratch)
            found = 0
            while found < k and best_i[found] != missing:
                found += 1
            _rescore(query, vectors, kernel, best_i[:found], side_d[side, 0, :found],
                     side_i[side, 0, :found])
            side_d[side, 0, found:] = np.inf
            side_i[side, 0, found:] = -1
        merged_d, merged_i, merged_m = topk.merge_unique(side_d[0], side_i[0], side_d[1],
                                                         side_i[1], k)
        out_d[r] = merged_d[0]
        out_i[r] = merged_i[0]
        out_m[r] = merged_m[0]


@njit(cache=True, nogil=True)
def _search_few_mirrored(queries, mirrored, k, turn, weighted, kernel, reach, max_leaves, tree,
                         seeds, vectors):
    out_d = np.empty((len(queries), k), np.float32)
    out_i = np.empty((len(queries), k), np.int64)
    out_m = np.empty((len(queries), k), np.bool_)
    _search_rows_mirrored(queries, mirrored, np.int64(0), len(queries), turn, weighted, kernel,
                          reach, max_leaves, tree, seeds, vectors, out_d, out_i, out_m)
    return out_d, out_i, out_m


@njit(cache=True, parallel=True, nogil=True)
def _search_parallel_mirrored(queries, mirrored, turn, weighted, kernel, reach, max_leaves,
                              tree, seeds, vectors, out_d, out_i, out_m, chunks):
    n = len(queries)
    for c in prange(chunks):
        _search_rows_mirrored(queries, mirrored, c * n // chunks, (c + 1) * n // chunks, turn,
                              weighted, kernel, reach, max_leaves, tree, seeds, vectors,
                              out_d, out_i, out_m)


@njit(cache=True, nogil=True)
def _search_few(queries, k, turn, weighted, kernel, reach, max_leaves, tree, seeds, vectors):
    """_search_rows on every query, its results made here (cheaper than passed in)."""
    out_d = np.empty((len(queries), k), np.float32)
    out_i = np.empty((len(queries), k), np.int64)
    _search_rows(queries, np.int64(0), len(queries), turn, weighted, kernel, reach, max_leaves,
                 tree, seeds, vectors, out_d, out_i)  # (int64, as _search_parallel passes: a
    # literal 0 would compile _search_rows once more)
    return out_d, out_i


@njit(cache=True, nogil=True)
def _search_poses(poses, min_score, min_keypoints, k, turn, weighted, kernel, reach,
                  max_leaves, tree, seeds, vectors):
    """_search_few on the poses' vectors (to_vectors'), checked and made in the same call;
    returns (the first bad pose's row, -1 if none; distances; indices), nothing searched if
    a pose is bad. (Returning the check's codes too costs a good pose more than checking a
    bad one again.)"""
    # np.bool_(True), not True: a literal would compile check_and_vectorise once more than
    # to_vectors' call does.
    _, _, queries, bad = check_and_vectorise(poses, min_score, min_keypoints, np.bool_(True))
    if bad >= 0:
        return bad, np.empty((0, k), np.float32), np.empty((0, k), np.int64)
    out_d, out_i = _search_few(queries, k, turn, weighted, kernel, reach, max_leaves, tree,
                               seeds, vectors)
    return bad, out_d, out_i


@njit(cache=True, nogil=True)
def _search_poses_mirrored(poses, min_score, min_keypoints, k, turn, weighted, kernel, reach,
                           max_leaves, tree, seeds, vectors):
    """_search_few_mirrored on the poses' and their mirror images' vectors (to_vectors_mirrored's),
    checked and made in the same call; returns (the first bad row among poses and mirror
    images, -1 if none; distances; indices; mirrored), nothing searched if a pose is bad."""
    n = len(poses)
    _, _, both, bad = check_and_vectorise(with_mirror_images(poses), min_score,
                                          min_keypoints, np.bool_(True))
    if bad >= 0:
        return (bad, np.empty((0, k), np.float32), np.empty((0, k), np.int64),
                np.empty((0, k), np.bool_))
    out_d, out_i, out_m = _search_few_mirrored(both[:n], both[n:], k, turn, weighted, kernel,
                                               reach, max_leaves, tree, seeds, vectors)
    return bad, out_d, out_i, out_m


@njit(cache=True, parallel=True, nogil=True)
def _search_parallel(queries, turn, weighted, kernel, reach, max_leaves, tree, seeds,
                     vectors, out_d, out_i, chunks):
    n = len(queries)
    for c in prange(chunks):
        _search_rows(queries, c * n // chunks, (c + 1) * n // chunks, turn, weighted, kernel,
                     reach, max_leaves, tree, seeds, vectors, out_d, out_i)


def _compiled(kernel, *args):
    """kernel compiled (or loaded from numba's cache) for the types of these arguments."""
    return kernel.compile(tuple(typeof(arg) for arg in args))


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of the array. The bank's vectors come read-only (mapped) or not
    (computed, as torso's), and numba compiles every kernel once for each: as one type, a
    server's first start compiles one set of kernels for all its metrics, not two."""
    view = array.view()
    view.flags.writeable = False
    return view


def _as_queries(queries) -> np.ndarray:
    """Queries as the compiled kernels take them: (Q, 52) float32, flags.carray."""
    if (type(queries) is np.ndarray and queries.dtype == np.float32 and queries.ndim == 2
            and queries.flags.carray):  # a server's query already is: no conversions
        return queries
    return np.require(np.atleast_2d(np.asarray(queries, dtype=np.float32)),
                      requirements=("C", "A", "W"))


_FLOAT32 = np.dtype(np.float32)


def _as_poses(poses: np.ndarray) -> np.ndarray:
    """Poses (Q, 17, 3) float32 (as_pose_array's) as the compiled kernels take them."""
    if poses.dtype is _FLOAT32 and poses.flags.carray:  # (`is`: a third of `==`'s time)
        return poses
    return np.require(poses, np.float32, ("C", "A", "W"))


class BoxTreeIndex:
    """Exact top-k for both metrics: the default index."""

    name: ClassVar[str] = "boxtree"
    exact_metrics: ClassVar[tuple[str, ...]] = BOUNDED_METRICS

    def __init__(self, vectors: np.ndarray, metric: str, leaf_size: int = EXACT_LEAF_SIZE,
                 seed_blocks_max: int | None = None):
        self._kernel = check_metric(metric).kernel
        self._vectorise = check_metric(metric).vectorise
        if metric not in BOUNDED_METRICS:
            raise UnknownMetricError(f"the box tree has no bound for metric {metric!r}; "
                                     "search it with the brute-force index")
        self.metric = metric
        self._weighted = self._kernel == WEIGHTED_KERNEL  # the L1 bounds, else the Euclidean
        self._reach = self._reach_for(metric)
        self._max_leaves = self._leaf_budget(len(vectors))
        self.vectors = _read_only(np.ascontiguousarray(vectors, dtype=np.float32))
        self._size = len(self.vectors)
        xy = self.vectors[:, XY]
        if not len(xy):
            rotation = np.eye(XY_DIM)
            space = xy
        elif self._weighted:  # L1 is not rotation-invariant; only reorder the dimensions
            order = np.argsort(-xy.var(axis=0), kind="stable")
            rotation = np.eye(XY_DIM)[order]
            space = np.ascontiguousarray(xy[:, order])
        else:
            rotation = principal_axes(xy)
        self._turn = np.ascontiguousarray(rotation.T)  # the rotation as _rotate_row takes it
        if len(xy) and not self._weighted:
            space = _rotate(self.vectors, self._turn)
        self._tree = None
        self._seeds = leaf_seeds(np.empty(0, np.int64), np.empty((0, XY_DIM), np.float32),
                                 np.empty((0, XY_DIM), np.float32), np.empty(0, np.int64))
        if len(xy):
            self._tree = search_tree(space, leaf_size)
            left, _, lo, hi, block_of, blocks = self._tree[:6]
            if seed_blocks_max is None:
                seed_blocks_max = SEED_BLOCKS_MAX if self._weighted else COSINE_SEED_BLOCKS_MAX
            if not self._max_leaves and len(blocks) <= seed_blocks_max:
                self._seeds = leaf_seeds(left, lo, hi, block_of)
        self._compile_few()
        if len(xy):  # the parallel path is compiled (or loaded) now too, not on first use
            self.search(np.repeat(self.vectors[:1], _PARALLEL_FROM, 0), 1)

    def _compile_few(self) -> None:
        """The kernels of a few queries, compiled (or loaded from numba's cache) for this
        index's argument types, to be called directly: numba's dispatch types every argument
        of every call, 1.5-2 us a query with the tree's tuples of arrays (its kernel's time
        1.04-1.07x at 80k poses, 1.10-1.12x at 2,000). Callers must pass what they were
        compiled for: queries, mirror images and poses C-contiguous, aligned, writeable
        float32 (flags.carray), k an int."""
        self._few: Any = None
        self._few_mirrored: Any = None
        self._poses: Any = None
        self._poses_mirrored: Any = None
        # What every kernel takes after the queries and k, in its order.
        self._walk = (self._turn, self._weighted, self._kernel, self._reach, self._max_leaves,
                      self._tree, self._seeds, self.vectors)
        if self._tree is None:
            return
        fixed = self._walk
        vector = np.zeros((1, VECTOR_DIM), np.float32)
        self._few = _compiled(_search_few, vector, 1, *fixed)
        self._few_mirrored = _compiled(_search_few_mirrored, vector, vector, 1, *fixed)
        self._few(self.vectors[:1], 1, *fixed)
        if self._vectorise is to_vectors:
            pose = np.zeros((1, NUM_KEYPOINTS, 3), np.float32)  # (no confident keypoint)
            checks = (_MIN_SCORE, MIN_CONFIDENT_KEYPOINTS)
            self._poses = _compiled(_search_poses, pose, *checks, 1, *fixed)
            self._poses_mirrored = _compiled(_search_poses_mirrored, pose, *checks, 1, *fixed)
            self._poses(pose, *checks, 1, *fixed)
            self._poses_mirrored(pose, *checks, 1, *fixed)

    def __getstate__(self) -> dict:
        """Pickled without the compiled kernels (compiled again where it is unpickled, for
        its arrays' types: a worker's mapped arrays may be read-only)."""
        state = self.__dict__.copy()
        for name in ("_few", "_few_mirrored", "_poses", "_poses_mirrored", "_walk"):
            del state[name]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._compile_few()

    @classmethod
    def build(cls, vectors: np.ndarray, metric: str) -> Self:
        return cls(vectors, metric)

    def _reach_for(self, metric: str) -> np.float32:
        return _SLACK

    def _leaf_budget(self, size: int) -> int:
        return 0

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_queries(queries)
        k = min(k, len(self.vectors))
        n = len(queries)
        if k == 0 or n == 0:
            return np.empty((n, k), np.float32), np.empty((n, k), np.int64)
        if n < _PARALLEL_FROM:
            return self._few(queries, k, *self._walk)
        out_d = np.empty((n, k), np.float32)
        out_i = np.empty((n, k), np.int64)
        with _PARALLEL_LOCK:
            _search_parallel(queries, *self._walk, out_d, out_i, 4 * _PARALLEL_FROM)
        return out_d, out_i

    def search_poses(self, poses: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Index.search_poses; a few poses with to_vectors' vectors are checked, vectorised
        and searched in one compiled call, which saves a single query (a server's) the
        Python calls between them."""
        k = min(k, self._size)
        if self._poses is None or k == 0 or not 0 < len(poses) < _PARALLEL_FROM:
            return search_poses_as_vectors(self, poses, k)
        poses = _as_poses(poses)
        bad, distances, indices = self._poses(poses, _MIN_SCORE, MIN_CONFIDENT_KEYPOINTS, k,
                                              *self._walk)
        if bad >= 0:
            to_vectors(poses)  # raises the PoseError naming the pose and its problem
        return distances, indices

    def search_poses_mirrored(self, poses: np.ndarray,
                              k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Index.search_poses_mirrored; for a few poses with to_vectors' vectors, in one
        compiled call as search_poses."""
        k = min(k, self._size)
        if self._poses is None or k == 0 or not 0 < len(poses) < _PARALLEL_FROM:
            return search_poses_mirrored_as_vectors(self, poses, k)
        poses = _as_poses(poses)
        bad, distances, indices, mirrored = self._poses_mirrored(
            poses, _MIN_SCORE, MIN_CONFIDENT_KEYPOINTS, k, *self._walk)
        if bad >= 0:
            to_vectors(poses)  # raises (a pose and its mirror image are bad alike)
        return distances, indices, mirrored

    def search_mirrored(self, queries: np.ndarray, mirrored: np.ndarray,
                        k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each query's k best, each bank row once at the nearer of the query and its mirror
        image (mirrored: the mirror images' vectors, row for row): (distances, indices,
        found by the mirror image), each (Q, k); what search() of both followed by
        topk.merge_unique gives, in one call with the mirror image's walk cut short."""
        queries, mirrored = _as_queries(queries), _as_queries(mirrored)
        if queries.shape != mirrored.shape:
            raise ValueError(f"{len(mirrored)} mirror images for {len(queries)} queries")
        k = min(k, len(self.vectors))
        n = len(queries)
        if k == 0 or n == 0:
            return (np.empty((n, k), np.float32), np.empty((n, k), np.int64),
                    np.zeros((n, k), bool))
        if n < _PARALLEL_FROM:
            return self._few_mirrored(queries, mirrored, k, *self._walk)
        out_d = np.empty((n, k), np.float32)
        out_i = np.empty((n, k), np.int64)
        out_m = np.empty((n, k), bool)
        with _PARALLEL_LOCK:
            _search_parallel_mirrored(queries, mirrored, *self._walk, out_d, out_i, out_m,
                                      4 * _PARALLEL_FROM)
        return out_d, out_i, out_m

    @property
    def nbytes(self) -> int:
        """Memory held: the bank's vectors (kept to re-score results) and the tree."""
        tree = sum(a.nbytes for a in self._tree + self._seeds) if self._tree else 0
        return self.vectors.nbytes + tree + self._turn.nbytes
