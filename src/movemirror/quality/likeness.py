"""The "likeness" search: movemirror.quality.rerank's two-stage search, compiled for the
product's search path (PoseBank.search(metric="likeness")).

Among the bank's poses that have a torso (movemirror.torso_vectors), stage one finds the
exact cosine top k, rounded up to whole blocks of CANDIDATES, the query and its mirror image,
each bank pose once at its nearer side (PoseBank.search(mirror=True)'s answer); stage two
orders each block of CANDIDATES (1-10, 11-20, ...) by the "torso" distance, each candidate at
whichever side, plain or mirrored, is closer (ties: stage one's distance, then the lower
row). So asking for more matches never changes the first ones, and the first 10 are exactly
the configuration measured. The distances returned are those torso distances: best first
within a block (not across blocks). A query without a torso (no confident shoulder or hip:
the page sends such poses) keeps stage one's order and cosine distances, as cosine would
answer it among those poses; "torso" alone refuses it. Chosen and measured on LSPET by
`movemirror bench quality` (docs/match-quality.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from movemirror.distances import WEIGHTED_KERNEL, pair_distance
from movemirror.keypoints import MIRROR_PERMUTATION, NUM_KEYPOINTS
from movemirror.torso_vectors import _torso_row, torso_vectors_where_possible
from movemirror.vectors import MIN_SCORE, VECTOR_DIM

FIRST_STAGE = "cosine"
CANDIDATES = 10  # stage one's matches that stage two re-orders, at least (docs/match-quality.md)
_MIRROR = np.array(MIRROR_PERMUTATION, np.int64)


class BankTorsos:
    """A bank's poses as torso vectors (N, 52), for stage two, and which rows have one."""

    def __init__(self, keypoints: np.ndarray):
        self.vectors, self.usable = torso_vectors_where_possible(keypoints)


def candidates(k: int) -> int:
    """How many stage one finds for k matches: whole blocks."""
    return -(-k // CANDIDATES) * CANDIDATES


def reorder(poses: np.ndarray, torsos: BankTorsos, distances: np.ndarray,
            indices: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Stage two, in place, on stage one's results (distances, indices (bank rows, each
    with a torso), mirrored: (Q, C) each, best first, each row once) for the query poses
    (Q, 17, 3) float32: each block of CANDIDATES re-ordered by the torso distance, each
    candidate at its nearer side, the distances those torso distances. A query that has no
    torso is left as stage one answered it. Returns which queries were re-ordered (Q,) bool."""
    reordered = np.zeros(len(poses), np.bool_)
    _reorder(poses, torsos.vectors, distances, indices, mirrored, CANDIDATES, reordered)
    return reordered


@njit(cache=True, nogil=True)
def _reorder(poses, bank, distances, indices, mirrored, block, reordered):
    n, count = distances.shape
    flipped_pose = np.empty((NUM_KEYPOINTS, 3), np.float32)
    plain_query = np.empty(VECTOR_DIM, np.float32)
    flipped_query = np.empty(VECTOR_DIM, np.float32)
    chosen = np.empty(count, np.float64)
    use_mirror = np.empty(count, np.bool_)
    order = np.empty(count, np.int64)
    row_i = np.empty(count, np.int64)
    min_score = np.float32(MIN_SCORE)
    for r in range(n):
        for j in range(NUM_KEYPOINTS):  # the mirror image, as mirror_keypoints makes it
            source = _MIRROR[j]
            flipped_pose[j, 0] = -poses[r, source, 0]
            flipped_pose[j, 1] = poses[r, source, 1]
            flipped_pose[j, 2] = poses[r, source, 2]
        if not (_torso_row(poses[r], min_score, plain_query)
                and _torso_row(flipped_pose, min_score, flipped_query)):
            continue  # no torso: stage one's order stands
        reordered[r] = True
        for j in range(count):
            row = indices[r, j]
            plain = pair_distance(plain_query, bank[row], WEIGHTED_KERNEL)
            flipped = pair_distance(flipped_query, bank[row], WEIGHTED_KERNEL)
            use_mirror[j] = flipped < plain
            chosen[j] = flipped if use_mirror[j] else plain
            order[j] = j
        # Each block by the torso distance, then stage one's distance, then row (insertion
        # sort: a block is small).
        for a in range(1, count):
            j = order[a]
            b = a
            start = a - a % block
            while b > start and _after(order[b - 1], j, chosen, distances[r], indices[r]):
                order[b] = order[b - 1]
                b -= 1
            order[b] = j
        for a in range(count):
            row_i[a] = indices[r, order[a]]
        for a in range(count):
            distances[r, a] = chosen[order[a]]
            indices[r, a] = row_i[a]
            mirrored[r, a] = use_mirror[order[a]]


@njit(cache=True, inline="always")
def _after(a, b, chosen, first, rows) -> bool:
    """Whether candidate a goes after candidate b."""
    if chosen[a] != chosen[b]:
        return chosen[a] > chosen[b]
    if first[a] != first[b]:
        return first[a] > first[b]
    return rows[a] > rows[b]
