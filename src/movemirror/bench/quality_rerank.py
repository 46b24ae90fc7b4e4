"""What the two-stage search costs in the product's search path: per query, PoseBank.search
with cosine (the default before "likeness") against the mirror search (as it was and as it
is), "likeness" (movemirror.quality.likeness) and the two-stage search as first measured in
Python (movemirror.quality.rerank's order on the bank's index). One query at a time, as the
page's stream asks; all timed in alternating rounds in one process, so the ratios are the
claim, not the absolute times.
"""

from __future__ import annotations

import time

import numpy as np

from movemirror.distances import LIKENESS, check_metric, search_metric
from movemirror.errors import PoseError
from movemirror.index.topk import merge_unique
from movemirror.keypoints import mirror_keypoints
from movemirror.quality.rerank import order_candidates
from movemirror.vectors import VECTOR_DIM, to_vectors

ROUNDS = 3


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


def time_search(bank, queries: np.ndarray, k: int = 10, rounds: int = ROUNDS,
                names: tuple[str, ...] | None = None) -> dict:
    """Median per-query milliseconds, one query at a time, of: the default search before
    "likeness" (cosine), the mirror search as it was (both searched, then merged), as it is
    (one call), "likeness", and the two-stage search in Python as first measured
    (TwoStageSearch), each asked for k matches: the median of single calls, each query
    through every search in turn, `rounds` passes (after a warm-up of each), the order
    turned about each pass. `names` picks some of them (cosine always)."""
    index = bank.index("cosine")

    def mirror_before(q):
        vectors = to_vectors(q)
        both = np.concatenate([vectors, to_vectors(mirror_keypoints(q))])
        d, i = index.search(both, k)
        merge_unique(d[:1], i[:1], d[1:], i[1:], i.shape[1])

    python_two_stage = (TwoStageSearch(bank, "torso", mirror=True)
                        if names is None or "two_stage_python" in names else None)

    def two_stage_python(q):
        assert python_two_stage is not None  # only timed when it was built
        return python_two_stage.search(q, k, max(k, 10))

    searches = {
        "cosine": lambda q: bank.search(q, k=k, metric="cosine"),
        "mirror_before": mirror_before,
        "mirror": lambda q: bank.search(q, k=k, metric="cosine", mirror=True),
        "likeness": lambda q: bank.search(q, k=k, metric=LIKENESS),
        "two_stage_python": two_stage_python,
    }
    if names is not None:
        searches = {name: search for name, search in searches.items()
                    if name == "cosine" or name in names}
    usable = [q for q in queries if search_metric(LIKENESS).problems(q)[0] is None]
    timings: dict[str, list[float]] = {name: [] for name in searches}
    for search in searches.values():
        for q in usable[:20]:
            search(q)
    order = list(searches)
    clock = time.perf_counter
    for turn in range(rounds):
        for q in usable:  # each query through every search in turn: load drifts alike
            for name in order if turn % 2 == 0 else order[::-1]:
                started = clock()
                searches[name](q)
                timings[name].append(1000 * (clock() - started))
    ms = {name: float(np.median(values)) for name, values in timings.items()}
    return {"bank_poses": len(bank), "queries": len(usable), "k": k,
            "ms": ms, "ratio": {name: ms[name] / ms["cosine"] for name in ms},
            "p90_ms": {name: float(np.percentile(values, 90)) for name, values in timings.items()}}


def time_on_penn_action(size: int = 80_000, queries: int = 500, k: int = 10,
                        rounds: int = ROUNDS, names: tuple[str, ...] | None = None) -> dict:
    """time_search on a bank of `size` Penn Action poses, with queries from held-out clips
    (the bank and queries of `movemirror bench search`)."""
    from movemirror.bank import PoseBank
    from movemirror.bench.search_data import split_by_clip
    from movemirror.datasets.penn_action import load_penn_action

    penn = load_penn_action()
    split = split_by_clip(penn.keypoints, penn.clip, held_out_poses=2000, queries=queries)
    bank = PoseBank.from_keypoints(split.bank_poses[:size])
    return time_search(bank, split.query_poses, k, rounds=rounds, names=names)


def timing_line(timed: dict) -> str:
    ms, ratio = timed["ms"], timed["ratio"]
    return (f"{timed['bank_poses']} poses, k={timed['k']}, {timed['queries']} queries: "
            + ", ".join(f"{name} {ms[name]:.3f} ms ({ratio[name]:.2f}x)" for name in ms))
