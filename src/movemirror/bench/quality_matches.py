"""The matches a quality pipeline picks: brute-force top-k by one of the benchmark's distances,
a second stage re-ranking cosine's candidates, or PoseBank.search with "likeness"."""

from __future__ import annotations

import numpy as np

from movemirror.distances import LIKENESS, search_metric
from movemirror.keypoints import mirror_keypoints
from movemirror.quality.metrics import POSE_METRICS
from movemirror.quality.rerank import FIRST_STAGE, first_stage, rerank

QUERY_CHUNK = 100  # queries per distance matrix (weighted keeps a Q x N x 34 array)


def top_matches(metric: str, queries: np.ndarray, archive: np.ndarray, k: int,
                mirror: bool) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k archive rows per query (ties: lower row first) and whether each
    came from the mirrored query: (indices (Q, k), mirrored (Q, k))."""
    distance = POSE_METRICS[metric]
    k = min(k, len(archive))
    rows, flags = [], []
    for start in range(0, len(queries), QUERY_CHUNK):
        chunk = queries[start:start + QUERY_CHUNK]
        d = distance(chunk, archive)
        m = np.zeros_like(d, dtype=bool)
        if mirror:
            dm = distance(mirror_keypoints(chunk), archive)
            m = dm < d
            d = np.where(m, dm, d)
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        # A query the metric cannot vectorise (all distances inf) gets no match.
        order = np.where(np.isfinite(np.take_along_axis(d, order, axis=1)), order, -1)
        rows.append(order)
        flags.append(np.take_along_axis(m, order, axis=1))
    if not rows:
        return np.empty((0, k), np.int64), np.empty((0, k), bool)
    return np.concatenate(rows), np.concatenate(flags)


def reranked_matches(metric: str, queries: np.ndarray, archive: np.ndarray, k: int,
                     mirror: bool, candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """top_matches' answer when `metric` re-ranks the exact cosine top `candidates` (a side)."""
    rows, first, flags = first_stage(POSE_METRICS[FIRST_STAGE], queries, archive, candidates,
                                     mirror)
    k = min(k, len(archive))
    picked = [rerank(POSE_METRICS[metric], q, archive, r, f, m, mirror, k)
              for q, r, f, m in zip(queries, rows, first, flags, strict=True)]
    if not picked:
        return np.empty((0, k), np.int64), np.empty((0, k), bool)
    return np.stack([p[0] for p in picked]), np.stack([p[1] for p in picked])


def likeness_matches(queries: np.ndarray, archive: np.ndarray, k: int,
                     candidates: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PoseBank.search(metric="likeness") on a bank of the archive, asked for
    max(k, candidates) matches (as the page asks for more, to keep one per frame), the first
    k kept: (rows, mirrored, refused (Q,)): a query it refuses (one cosine refuses too) gets
    no match; one without a torso gets stage one's (cosine's) order."""
    from movemirror.bank import PoseBank

    refused = np.array([p is not None for p in search_metric(LIKENESS).problems(queries)],
                       bool)
    k = min(k, len(archive))
    rows = np.full((len(queries), k), -1, np.int64)
    flags = np.zeros((len(queries), k), bool)
    if (~refused).any():
        found = PoseBank.from_keypoints(archive).search(queries[~refused], max(k, candidates),
                                                        metric=LIKENESS)
        rows[~refused] = found.indices[:, :k]
        flags[~refused] = found.mirrored[:, :k]
    return rows, flags, refused
