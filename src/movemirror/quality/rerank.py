"""Two-stage search: an exact cosine candidate set, re-ranked by a second distance.

Stage one is exact: each query's `candidates` nearest archive poses by Move Mirror's cosine
distance, with `mirror` each pose at the nearer of the query and its mirror image (brute force
here; PoseBank.search with its exact index gives the same set, bench.quality_rerank). Stage two
orders those candidates by the second distance (e.g. "torso"), each candidate taken whichever
way round, plain or mirrored, is closer. A candidate the second distance cannot measure (inf:
a pose without a confident shoulder or hip) goes after those it can, in stage one's order; so
a query it cannot measure keeps stage one's order. Nothing outside the candidate set is ever
returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from movemirror.keypoints import mirror_keypoints

PoseMetric = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (Q,17,3), (N,17,3) -> (Q, N)
FIRST_STAGE = "cosine"


def first_stage(distance: PoseMetric, queries: np.ndarray, archive: np.ndarray, candidates: int,
                mirror: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query its exact `candidates` nearest archive rows, each row once at its nearer
    side when `mirror` (as PoseBank.search(mirror=True) gives them; ties: plain side, then
    lower row first): (rows, distances, found by the mirrored query), each (Q, C). Rows at an
    infinite distance are -1."""
    candidates = min(candidates, len(archive))
    d = distance(queries, archive)
    flags = np.zeros(d.shape, bool)
    if mirror:
        flipped = distance(mirror_keypoints(queries), archive)
        flags = flipped < d
        d = np.where(flags, flipped, d)
    order = np.argsort(d, axis=1, kind="stable")[:, :candidates]
    found = np.take_along_axis(d, order, axis=1)
    rows = np.where(np.isfinite(found), order, -1)
    return rows, found, np.take_along_axis(flags, order, axis=1) & (rows >= 0)


def rerank(second: PoseMetric, query: np.ndarray, archive: np.ndarray, rows: np.ndarray,
           first: np.ndarray, first_mirrored: np.ndarray, mirror: bool,
           k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's candidates (stage one's rows (C,), distances (C,) and whether each was
    found by the mirrored query (C,); a row may come twice, once each way) re-ranked by
    `second`: (archive rows (k,), shown mirrored (k,)), -1 past the candidates found."""
    found = rows >= 0
    unique = np.unique(rows[found])
    if not len(unique):
        return np.full(k, -1, np.int64), np.zeros(k, bool)
    plain = second(query[None], archive[unique])[0]
    flipped = (second(mirror_keypoints(query[None]), archive[unique])[0] if mirror
               else np.full(len(unique), np.inf))
    return order_candidates(unique, plain, flipped, rows, first, first_mirrored, k)


def order_candidates(unique: np.ndarray, plain: np.ndarray, flipped: np.ndarray,
                     rows: np.ndarray, first: np.ndarray, first_mirrored: np.ndarray,
                     k: int) -> tuple[np.ndarray, np.ndarray]:
    """The second stage's order of the candidates `unique` (sorted rows) given their second
    distance to the query (`plain`) and to its mirror image (`flipped`, inf without mirror),
    stage one's order breaking ties and ordering what the second distance cannot measure."""
    out_rows = np.full(k, -1, np.int64)
    out_flags = np.zeros(k, bool)
    found = rows >= 0
    # Each candidate's stage-one distance plain and mirrored (inf: not found that way).
    plain_first = np.full(len(unique), np.inf)
    mirrored_first = np.full(len(unique), np.inf)
    for target, way in ((plain_first, ~first_mirrored), (mirrored_first, first_mirrored)):
        pick = found & way
        target[np.searchsorted(unique, rows[pick])] = first[pick]
    measured = np.isfinite(plain) | np.isfinite(flipped)
    use_mirror = np.where(measured, flipped < plain, mirrored_first < plain_first)
    chosen = np.where(use_mirror, flipped, plain)
    stage_one = np.minimum(plain_first, mirrored_first)
    order = np.lexsort((unique, stage_one, chosen))[:k]  # the last key sorts first
    out_rows[: len(order)] = unique[order]
    out_flags[: len(order)] = use_mirror[order]
    return out_rows, out_flags
