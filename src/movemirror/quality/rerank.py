"""Two-stage search: an exact cosine candidate set, re-ranked by a second distance.

Stage one is exact: each query's `candidates` nearest archive poses by Move Mirror's cosine
distance (brute force here; the bank's exact index gives the same set), and with `mirror` the
same for the mirrored query. Stage two orders those candidates (the union of both sets) by
the second distance (e.g. "torso"), each candidate taken whichever way round, plain or
mirrored, is closer. A candidate the second distance cannot measure (inf: a pose without a
confident shoulder or hip) goes after those it can, in stage one's order; so a query it cannot
measure keeps stage one's order. Nothing outside the candidate set is ever returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from movemirror.keypoints import mirror_keypoints

PoseMetric = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (Q,17,3), (N,17,3) -> (Q, N)
FIRST_STAGE = "cosine"


def first_stage(distance: PoseMetric, queries: np.ndarray, archive: np.ndarray, candidates: int,
                mirror: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per query its exact `candidates` nearest archive rows (ties: lower row first) and their
    first-stage distances, plain then (with mirror) mirrored: ((Q, C), (Q, C)), C = candidates
    or twice that. Rows at an infinite distance are -1."""
    candidates = min(candidates, len(archive))
    sides = [queries, mirror_keypoints(queries)] if mirror else [queries]
    rows, dists = [], []
    for side in sides:
        d = distance(side, archive)
        order = np.argsort(d, axis=1, kind="stable")[:, :candidates]
        found = np.take_along_axis(d, order, axis=1)
        rows.append(np.where(np.isfinite(found), order, -1))
        dists.append(found)
    return np.concatenate(rows, axis=1), np.concatenate(dists, axis=1)


def rerank(second: PoseMetric, query: np.ndarray, archive: np.ndarray, rows: np.ndarray,
           first: np.ndarray, mirror: bool, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's candidates (first_stage's rows (C,) and distances (C,)) re-ranked by
    `second`: (archive rows (k,), shown mirrored (k,)), -1 past the candidates found."""
    out_rows = np.full(k, -1, np.int64)
    out_flags = np.zeros(k, bool)
    found = rows >= 0
    if not found.any():
        return out_rows, out_flags
    unique = np.unique(rows[found])
    # Each candidate's stage-one distance plain and mirrored (inf: not in that set).
    plain_first = np.full(len(unique), np.inf)
    mirrored_first = np.full(len(unique), np.inf)
    half = len(rows) // 2 if mirror else len(rows)
    for target, part in ((plain_first, slice(0, half)), (mirrored_first, slice(half, None))):
        r, d = rows[part], first[part]
        target[np.searchsorted(unique, r[r >= 0])] = d[r >= 0]
    plain = second(query[None], archive[unique])[0]
    flipped = (second(mirror_keypoints(query[None]), archive[unique])[0] if mirror
               else np.full(len(unique), np.inf))
    measured = np.isfinite(plain) | np.isfinite(flipped)
    use_mirror = np.where(measured, flipped < plain, mirrored_first < plain_first)
    chosen = np.where(use_mirror, flipped, plain)
    stage_one = np.minimum(plain_first, mirrored_first)
    order = np.lexsort((unique, stage_one, chosen))[:k]  # last key sorts first
    out_rows[: len(order)] = unique[order]
    out_flags[: len(order)] = use_mirror[order]
    return out_rows, out_flags
