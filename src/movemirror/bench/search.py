"""`movemirror bench search`: our index against numpy brute force and a vantage-point tree.

For each bank size and metric, every method is built on the same bank and timed on the same
queries (from held-out clips): build time, memory, p50/p99 per single query, queries per
second for one batch, and recall@10 against brute force's exact answer. Our index is also
timed end to end, as a server calls it: `PoseBank.search` on one pose in pixels (checks,
vectorising and search), alternating query by query with the index alone. Where node is
installed, a JavaScript vantage-point tree after the original Move Mirror's vptree.js
(bench-only, movemirror.bench.vptree_js) is timed on the same cosine queries.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from movemirror.bank import PoseBank
from movemirror.bank.schema import ID
from movemirror.bench.blas_threads import blas_threads
from movemirror.bench.machine import machine_info
from movemirror.bench.search_data import bank_vectors, split_by_clip
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
_TURN = 50  # queries per turn of the end-to-end timing


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
    # Ours only: PoseBank.search on one pose in pixels, end to end.
    end_to_end_p50_us: float | None = None
    end_to_end_p99_us: float | None = None


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    metrics: tuple[str, ...] = METRICS
    queries: int = 1000  # batch queries for cosine
    weighted_queries: int = 200  # brute force is slow on the weighted L1 (weighted, torso)
    single_queries: int = 300  # timed one at a time, unless the budget runs out first
    single_budget_s: float = 6.0
    vptree_max: int = 1_000_000  # its build gets slow beyond
    approx_min: int = 1_000_000  # the approximate mode is for banks of millions
    js_max: int = 200_000  # the JavaScript tree (cosine only) up to this bank size


def time_single(index, queries: np.ndarray, limit: int, budget_s: float) -> np.ndarray:
    """Seconds per single-query search on one core, for up to limit queries or budget_s s."""
    times = []
    with blas_threads(1):
        for q in queries[:3]:
            index.search(q[None], K)  # warm caches
        deadline = time.perf_counter() + budget_s
        for q in queries[:limit]:
            start = time.perf_counter()
            index.search(q[None], K)
            times.append(time.perf_counter() - start)
            if len(times) >= 20 and time.perf_counter() > deadline:
                break
    return np.asarray(times)


def time_end_to_end(bank: PoseBank, index, poses: np.ndarray, vectors: np.ndarray,
                    metric: str, limit: int, budget_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per one-pose PoseBank.search and per search of the index alone, on the same
    queries, taken in turns of _TURN queries so both see the same machine at the same moments.
    Which goes first alternates by turn: whichever comes second finds some of the tree's
    nodes for those queries still in the cache."""
    whole: list[float] = []
    alone: list[float] = []
    count = min(limit, len(poses))
    with blas_threads(1):
        for pose, vector in zip(poses[:3], vectors[:3], strict=True):
            bank.search(pose, K, metric)
            index.search(vector[None], K)
        deadline = time.perf_counter() + 2 * budget_s
        for turn, first in enumerate(range(0, count, _TURN)):
            rows = range(first, min(first + _TURN, count))
            passes = [(whole, lambda i: bank.search(poses[i], K, metric)),
                      (alone, lambda i: index.search(vectors[i][None], K))]
            for times, search in passes[:: 1 if turn % 2 == 0 else -1]:
                for i in rows:
                    start = time.perf_counter()
                    search(i)
                    times.append(time.perf_counter() - start)
            if len(whole) >= 20 and time.perf_counter() > deadline:
                break
    return np.asarray(whole), np.asarray(alone)


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


def run_one(vectors, queries, metric, method, synthetic, plan: Plan, truth=None,
            poses=None) -> tuple:
    """Build and time one method; truth is brute force's distances (None: this is it).
    poses: the queries in pixels, to time our index end to end through PoseBank.search."""
    bank = bank_of(vectors, method) if method == OURS and poses is not None else None
    start = time.perf_counter()
    index = bank.index(metric) if bank is not None else INDEX_KINDS[method].build(vectors, metric)
    build_s = time.perf_counter() - start
    end_to_end = None
    if bank is not None:
        end_to_end, single = time_end_to_end(bank, index, poses, queries, metric,
                                             plan.single_queries, plan.single_budget_s)
    else:
        single = time_single(index, queries, plan.single_queries, plan.single_budget_s)
    found, batch_s = search_batch(index, queries)
    found_d = true_distances(queries, vectors, found, metric)
    truth = found_d if truth is None else truth
    result = Result(
        size=len(vectors), metric=metric, method=method, synthetic=synthetic,
        build_s=build_s, memory_bytes=int(index.nbytes), raw_bytes=int(vectors.nbytes),
        p50_us=float(np.percentile(single, 50) * 1e6),
        p99_us=float(np.percentile(single, 99) * 1e6), single_queries=len(single),
        batch_qps=len(queries) / batch_s, batch_queries=len(queries),
        recall_at_10=recall_at_k(found_d, truth),
    )
    if end_to_end is not None:
        result.end_to_end_p50_us = float(np.percentile(end_to_end, 50) * 1e6)
        result.end_to_end_p99_us = float(np.percentile(end_to_end, 99) * 1e6)
    return result, truth


def run_js(vectors, queries, synthetic, plan: Plan, truth) -> Result:
    """The JavaScript vantage-point tree on cosine: timed in node, one query at a time."""
    count = min(len(queries), plan.single_queries)
    js = run_vptree_js(vectors, queries[:count], K)
    found_d = true_distances(queries[:count], vectors, js.found, "cosine")
    return Result(
        size=len(vectors), metric="cosine", method=REFERENCE_JS, synthetic=synthetic,
        build_s=js.build_s, memory_bytes=0, raw_bytes=int(vectors.nbytes),
        p50_us=float(np.percentile(js.seconds, 50) * 1e6),
        p99_us=float(np.percentile(js.seconds, 99) * 1e6), single_queries=count,
        batch_qps=count / float(js.seconds.sum()), batch_queries=count,
        recall_at_10=recall_at_k(found_d, truth[:count]),
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
            baseline, truth = run_one(vectors, queries, metric, BASELINE, synthetic, plan)
            results.append(baseline)
            report(_line(baseline))
            methods = [OURS] + ([REFERENCE] if size <= plan.vptree_max else []) + (
                [APPROX] if size >= plan.approx_min else [])
            for method in methods:
                result, _ = run_one(vectors, queries, metric, method, synthetic, plan, truth,
                                    poses)
                results.append(result)
                report(_line(result))
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
            f"recall@10 {r.recall_at_10:.4f}")
    if r.end_to_end_p50_us is not None:
        line += (f"  PoseBank.search one pose: p50 {r.end_to_end_p50_us:.1f} us, "
                 f"p99 {r.end_to_end_p99_us:.1f} us")
    return line


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
