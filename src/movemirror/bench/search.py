"""`movemirror bench search`: our index against numpy brute force and a vantage-point tree.

For each bank size and metric, every method is built on the same bank and timed on the same
queries (from held-out clips): build time, memory, p50/p99 per single query, queries per
second for one batch, and recall@10 against brute force's exact answer. Our index is also
timed end to end, as a server calls it: `PoseBank.search` on one pose in pixels (checks,
vectorising and search). The single queries of every method of a metric, and ours end to
end, are timed in turns spread over a few seconds (movemirror.bench.turns), so that all see
the machine's same spells. Where node is installed, a JavaScript vantage-point tree after
the original Move Mirror's vptree.js (bench-only, movemirror.bench.vptree_js) is timed on
the same cosine queries, in turns of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from movemirror.bank import PoseBank
from movemirror.bank.schema import ID
from movemirror.bench.blas_threads import blas_threads
from movemirror.bench.machine import machine_info
from movemirror.bench.search_data import bank_vectors, split_by_clip
from movemirror.bench.turns import Schedule, Spread, time_in_turns
from movemirror.bench.vptree_js import node_path, run_vptree_js
from movemirror.datasets.penn_action import load_penn_action
from movemirror.distances import METRICS, WEIGHTED_KERNEL, check_metric
from movemirror.index import DEFAULT_INDEX, INDEX_KINDS
from movemirror.index.recall import recall_at_k, true_distances
from movemirror.vectors import to_vectors

K = 10
OURS, BASELINE, REFERENCE, APPROX = DEFAULT_INDEX, "brute", "vptree", "boxtree-approx"
REFERENCE_JS = "vptree.js"
METHODS = (OURS, BASELINE, REFERENCE, APPROX, REFERENCE_JS)
END_TO_END = "PoseBank.search"  # ours, one pose in pixels, timed in turns with the rest


@dataclass
class Result:
    size: int
    metric: str
    method: str
    synthetic: bool
    build_s: float
    memory_bytes: int
    raw_bytes: int
    p50_us: float
    p99_us: float
    single_queries: int
    batch_qps: float
    batch_queries: int
    recall_at_10: float
    # The p50 of each turn of the single queries (movemirror.bench.turns), in order.
    turn_p50s_us: list[float] = field(default_factory=list)
    # Ours only: PoseBank.search on one pose in pixels, end to end.
    end_to_end_p50_us: float | None = None
    end_to_end_p99_us: float | None = None
    end_to_end_turn_p50s_us: list[float] | None = None


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    metrics: tuple[str, ...] = METRICS
    queries: int = 1000  # batch queries for cosine
    weighted_queries: int = 200  # brute force is slow on the weighted L1 (weighted, torso)
    single_queries: int = 300  # timed one at a time, unless the budget runs out first
    single_budget_s: float = 6.0  # per method
    schedule: Schedule = Schedule()  # the single queries' turns
    vptree_max: int = 1_000_000  # its build gets slow beyond
    approx_min: int = 1_000_000  # the approximate mode is for banks of millions
    js_max: int = 200_000  # the JavaScript tree (cosine only) up to this bank size


@dataclass(frozen=True)
class Built:
    method: str
    index: Any
    bank: PoseBank | None  # ours, to time end to end
    build_s: float


def bank_of(vectors: np.ndarray, index: str) -> PoseBank:
    """A PoseBank over the benchmark's vectors (ids only: search needs nothing else)."""
    ids = pa.array(np.arange(len(vectors)).astype(str), pa.string())
    return PoseBank(pa.table({ID: ids}), vectors, index=index)


def search_batch(index, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Indices for all queries and the seconds taken; brute force in chunks to bound memory."""
    n = len(index.vectors)
    weighted = check_metric(index.metric).kernel == WEIGHTED_KERNEL
    chunk = len(queries) if index.name != BASELINE else max(
        1, min(2**27 // max(n, 1), 32 if weighted else len(queries)))
    start = time.perf_counter()
    found = [index.search(queries[s : s + chunk], K)[1] for s in range(0, len(queries), chunk)]
    return np.concatenate(found), time.perf_counter() - start


def build(vectors, metric, method, poses=None) -> Built:
    """One method's index on the bank; ours with poses (the queries in pixels) also as the
    index of a PoseBank, to time it end to end through PoseBank.search."""
    bank = bank_of(vectors, method) if method == OURS and poses is not None else None
    start = time.perf_counter()
    index = bank.index(metric) if bank is not None else INDEX_KINDS[method].build(vectors, metric)
    return Built(method, index, bank, time.perf_counter() - start)


def time_single(built: list[Built], queries: np.ndarray, poses, metric: str,
                plan: Plan) -> dict[str, Spread]:
    """Each index's single queries, and ours end to end (END_TO_END), in turns spread over a
    few seconds (movemirror.bench.turns), on one core; ours end to end next to ours alone."""
    def whole(bank: PoseBank) -> Callable[[int], object]:
        return lambda i: bank.search(poses[i], K, metric)

    def alone(index) -> Callable[[int], object]:
        return lambda i: index.search(queries[i][None], K)

    searches: dict[str, Callable[[int], object]] = {}
    for b in built:
        if b.bank is not None:
            searches[END_TO_END] = whole(b.bank)
        searches[b.method] = alone(b.index)
    count = min(plan.single_queries, len(queries))
    with blas_threads(1):
        return time_in_turns(searches, count, plan.schedule, plan.single_budget_s)


def result_of(b: Built, vectors, queries, metric, synthetic, single: Spread,
              truth=None, end_to_end: Spread | None = None) -> tuple[Result, np.ndarray]:
    """A method's Result (batch search and recall here); truth is brute force's distances
    (None: this is it)."""
    found, batch_s = search_batch(b.index, queries)
    found_d = true_distances(queries, vectors, found, metric)
    truth = found_d if truth is None else truth
    result = Result(
        size=len(vectors), metric=metric, method=b.method, synthetic=synthetic,
        build_s=b.build_s, memory_bytes=int(b.index.nbytes), raw_bytes=int(vectors.nbytes),
        p50_us=single.p50_us, p99_us=single.p99_us, single_queries=single.queries,
        batch_qps=len(queries) / batch_s, batch_queries=len(queries),
        recall_at_10=recall_at_k(found_d, truth), turn_p50s_us=list(single.turn_p50s_us),
    )
    if end_to_end is not None:
        result.end_to_end_p50_us = end_to_end.p50_us
        result.end_to_end_p99_us = end_to_end.p99_us
        result.end_to_end_turn_p50s_us = list(end_to_end.turn_p50s_us)
    return result, truth


def run_js(vectors, queries, synthetic, plan: Plan, truth) -> Result:
    """The JavaScript vantage-point tree on cosine: timed in node, one query at a time, in
    the plan's turns (node cannot take turns with Python's searches)."""
    count = min(len(queries), plan.single_queries)
    js = run_vptree_js(vectors, queries[:count], K, plan.schedule)
    found_d = true_distances(queries[:count], vectors, js.found, "cosine")
    return Result(
        size=len(vectors), metric="cosine", method=REFERENCE_JS, synthetic=synthetic,
        build_s=js.build_s, memory_bytes=0, raw_bytes=int(vectors.nbytes),
        p50_us=js.spread.p50_us, p99_us=js.spread.p99_us, single_queries=count,
        batch_qps=count / float(js.seconds.sum()), batch_queries=count,
        recall_at_10=recall_at_k(found_d, truth[:count]),
        turn_p50s_us=list(js.spread.turn_p50s_us),
    )


def run(plan: Plan, report=print) -> list[Result]:
    penn = load_penn_action()
    split = split_by_clip(penn.keypoints, penn.clip, held_out_poses=2000, queries=plan.queries)
    report(f"queries: {len(split.query_vectors)} poses from {split.held_out_clips} held-out "
           f"clips; bank pool: {len(split.bank_poses)} real poses from the other clips")
    results = []
    for size in plan.sizes:
        banks: dict = {}  # vectors per vectorise function, shared by the metrics using it
        for metric in plan.metrics:
            vectorise = check_metric(metric).vectorise
            if vectorise not in banks:
                banks[vectorise] = bank_vectors(split.bank_poses, size, vectorise=vectorise)
            vectors, synthetic = banks[vectorise]
            count = plan.queries if metric == "cosine" else plan.weighted_queries
            queries = vectorise(split.query_poses[:count])
            # End to end through PoseBank.search where the bank's stored vectors are the metric's.
            poses = split.query_poses[:count] if vectorise is to_vectors else None
            methods = [OURS, BASELINE] + ([REFERENCE] if size <= plan.vptree_max else []) + (
                [APPROX] if size >= plan.approx_min else [])
            built = [build(vectors, metric, method, poses) for method in methods]
            single = time_single(built, queries, poses, metric, plan)
            brute = next(b for b in built if b.method == BASELINE)
            baseline, truth = result_of(brute, vectors, queries, metric, synthetic,
                                        single[BASELINE])
            results.append(baseline)
            report(_line(baseline))
            for b in (b for b in built if b is not brute):
                result, _ = result_of(b, vectors, queries, metric, synthetic, single[b.method],
                                      truth, single.get(END_TO_END) if b.method == OURS else None)
                results.append(result)
                report(_line(result))
            del built
            if metric == "cosine" and size <= plan.js_max:
                if node_path() is None:
                    report(f"{REFERENCE_JS}: skipped, node is not installed (make setup-node)")
                else:
                    result = run_js(vectors, queries, synthetic, plan, truth)
                    results.append(result)
                    report(_line(result))
        del banks, vectors
    return results


def time_likeness(plan: Plan, report=print) -> list[dict]:
    """The default search, "likeness", beside cosine through PoseBank.search, one pose at a
    time in alternating rounds (movemirror.bench.quality_rerank.time_search), at each bank
    size the real poses fill (it needs keypoints: the enlarged banks have vectors only)."""
    from movemirror.bench.quality_rerank import time_on_penn_action

    timings = []
    for size in sorted(plan.sizes):
        timed = time_on_penn_action(size, queries=min(plan.single_queries, 500),
                                    names=("likeness",))
        timings.append(timed)
        ms, ratio = timed["ms"], timed["ratio"]["likeness"]
        report(f"{timed['bank_poses']:>10,} likeness  PoseBank.search one pose: median "
               f"{ms['likeness']:.3f} ms against cosine's {ms['cosine']:.3f} ms in the same "
               f"rounds: {ratio:.2f}x")
        if timed["bank_poses"] < size:  # all the real poses: larger sizes would repeat it
            report(f"likeness: timed on all {timed['bank_poses']:,} real poses, not {size:,}")
            break
    return timings


def _line(r: Result) -> str:
    line = (f"{r.size:>10,} {r.metric:8} {r.method:9} build {r.build_s:7.2f} s  "
            f"p50 {r.p50_us:9.1f} us  p99 {r.p99_us:9.1f} us  {r.batch_qps:9.0f} q/s  "
            f"recall@10 {r.recall_at_10:.4f}  turns' p50 {turn_range(r.turn_p50s_us)} us")
    if r.end_to_end_p50_us is not None:
        line += (f"  PoseBank.search one pose: p50 {r.end_to_end_p50_us:.1f} us, "
                 f"p99 {r.end_to_end_p99_us:.1f} us, turns' p50 "
                 f"{turn_range(r.end_to_end_turn_p50s_us or [])} us")
    return line


def turn_range(p50s: list[float]) -> str:
    """The least and greatest p50 of the turns, e.g. "48.1-70.3"."""
    return f"{min(p50s):,.1f}-{max(p50s):,.1f}" if p50s else "-"


def write_json(results: list[Result], plan: Plan, path: Path,
               likeness: list[dict] | None = None) -> None:
    payload = {
        "benchmark": "movemirror bench search",
        "k": K,
        "machine": machine_info(),
        "data": ("Penn Action, 163,841 annotated poses from 2,326 clips; queries from held-out "
                 "clips. Banks beyond the real poses are enlarged with copies of them, half "
                 "mirrored, each rotated by up to 15 degrees and scaled by 0.8-1.25."),
        "plan": asdict(plan),
        "results": [asdict(r) for r in results],
        "likeness": likeness or [],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
