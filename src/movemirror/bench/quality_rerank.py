"""What the two-stage search (movemirror.quality.rerank) costs in the product's search path:
per query, PoseBank.search with the default (cosine, the top TOP) against the same bank's
exact cosine index asked for the candidates (with mirror, both ways round) and the candidates
re-ranked by the second distance. One query at a time, as the page's stream asks; the two are
timed in alternating rounds in one process, so the ratio is the claim, not the absolute times.
"""

from __future__ import annotations

import time

import numpy as np

from movemirror.distances import check_metric
from movemirror.errors import PoseError
from movemirror.keypoints import mirror_keypoints
from movemirror.quality.rerank import order_candidates
from movemirror.vectors import VECTOR_DIM

ROUNDS = 5


class TwoStageSearch:
    """The two-stage search on a PoseBank as a product would run it: the bank's exact cosine
    index asked for the candidates (both ways round with mirror), then the second metric
    (one of movemirror.distances) on the candidates' vectors, computed once for the bank."""

    def __init__(self, bank, metric: str, mirror: bool = True):
        self.bank = bank
        self.mirror = mirror
        self.metric = check_metric(metric)
        keypoints = bank.keypoints
        self.usable = np.array([p is None for p in self.metric.problems(keypoints)], bool)
        self.vectors = np.zeros((len(keypoints), VECTOR_DIM), np.float32)
        if self.usable.any():
            self.vectors[self.usable] = self.metric.vectorise(keypoints[self.usable])

    def search(self, query: np.ndarray, k: int, candidates: int):
        """(bank rows (k,), mirrored (k,)) for one query pose (17, 3)."""
        found = self.bank.search(query, k=candidates, metric="cosine", mirror=self.mirror)
        rows, first, flags = found.indices[0], found.distances[0], found.mirrored[0]
        unique = np.unique(rows[rows >= 0])
        both = np.stack([query, mirror_keypoints(query)] if self.mirror else [query])
        plain = flipped = np.full(len(unique), np.inf)
        try:
            vectors = self.metric.vectorise(both)
        except PoseError:  # the second metric cannot measure this query: stage one's order
            vectors = None
        if vectors is not None:
            d = self.metric.function(vectors, self.vectors[unique])
            d[:, ~self.usable[unique]] = np.inf
            plain = d[0]
            if self.mirror:
                flipped = d[1]
        return order_candidates(unique, plain, flipped, rows, first, flags, k)


def time_search(bank, queries: np.ndarray, k: int, metric: str, candidates: int,
                mirror: bool = True, rounds: int = ROUNDS) -> dict:
    """Median per-query milliseconds of the default search, of stage one alone (the cosine
    candidates both ways round) and of the two-stage search, over `rounds` alternating passes
    through the queries (after a warm-up of each)."""
    def default(q):
        bank.search(q, k=k)

    two_stage_search = TwoStageSearch(bank, metric, mirror)

    def two_stage(q):
        two_stage_search.search(q, k, candidates)

    def first_stage_only(q):
        bank.search(q, k=candidates, mirror=mirror)

    searches = {"default": default, "first_stage": first_stage_only, "two_stage": two_stage}
    timings: dict[str, list[float]] = {name: [] for name in searches}
    for search in searches.values():
        for q in queries[: min(len(queries), 20)]:
            search(q)
    for _ in range(rounds):
        for name, search in searches.items():
            started = time.perf_counter()
            for q in queries:
                search(q)
            timings[name].append(1000 * (time.perf_counter() - started) / len(queries))
    ms = {name: float(np.median(values)) for name, values in timings.items()}
    return {"bank_poses": len(bank), "queries": len(queries), "k": k, "metric": metric,
            "candidates": candidates, "mirror": mirror, "default_ms": ms["default"],
            "first_stage_ms": ms["first_stage"], "two_stage_ms": ms["two_stage"],
            "ratio": ms["two_stage"] / ms["default"], "rounds": timings}
