"""What the two-stage search (movemirror.quality.rerank) costs in the product's search path:
per query, PoseBank.search with the default (cosine, the top TOP) against the same bank's
exact cosine index asked for the candidates both ways round (mirror=True) and the candidates
re-ranked by the second distance. One query at a time, as the page's stream asks; the two are
timed in alternating rounds in one process, so the ratio is the claim, not the absolute times.
"""

from __future__ import annotations

import time

import numpy as np

from movemirror.quality.metrics import POSE_METRICS
from movemirror.quality.rerank import rerank

ROUNDS = 5


def two_stage_search(bank, query: np.ndarray, k: int, metric: str, candidates: int):
    """(bank rows (k,), mirrored (k,)): the bank's exact cosine candidates for the query and
    its mirror image, re-ranked by `metric` (quality.rerank)."""
    found = bank.search(query, k=candidates, metric="cosine", mirror=True)
    return rerank(POSE_METRICS[metric], query, bank.keypoints, found.indices[0],
                  found.distances[0], found.mirrored[0], True, k)


def time_search(bank, queries: np.ndarray, k: int, metric: str, candidates: int,
                rounds: int = ROUNDS) -> dict:
    """Median per-query milliseconds of the default search and of the two-stage one, over
    `rounds` alternating passes through the queries (after one warm-up pass of each)."""
    def default(q):
        bank.search(q, k=k)

    def two_stage(q):
        two_stage_search(bank, q, k, metric, candidates)

    timings: dict[str, list[float]] = {"default": [], "two_stage": []}
    for search in (default, two_stage):
        for q in queries[: min(len(queries), 20)]:
            search(q)
    for _ in range(rounds):
        for name, search in (("default", default), ("two_stage", two_stage)):
            started = time.perf_counter()
            for q in queries:
                search(q)
            timings[name].append(1000 * (time.perf_counter() - started) / len(queries))
    default_ms = float(np.median(timings["default"]))
    two_stage_ms = float(np.median(timings["two_stage"]))
    return {"bank_poses": len(bank), "queries": len(queries), "k": k, "metric": metric,
            "candidates": candidates, "default_ms": default_ms, "two_stage_ms": two_stage_ms,
            "ratio": two_stage_ms / default_ms, "rounds": timings}
