"""`movemirror bench search`: our index against numpy brute force and a vantage-point tree.

For each bank size and metric, every method is built on the same bank and timed on the same
queries (from held-out clips): build time, memory, p50/p99 per single query, queries per
second for one batch, and recall@10 against brute force's exact answer.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movemirror.bench.blas_threads import blas_threads
from movemirror.bench.search_data import bank_vectors, split_by_clip
from movemirror.datasets.penn_action import load_penn_action
from movemirror.distances import METRICS, WEIGHTED_KERNEL, check_metric
from movemirror.index import DEFAULT_INDEX, INDEX_KINDS
from movemirror.index.recall import recall_at_k, true_distances

K = 10
OURS, BASELINE, REFERENCE, APPROX = DEFAULT_INDEX, "brute", "vptree", "boxtree-approx"
METHODS = (OURS, BASELINE, REFERENCE, APPROX)


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


def search_batch(index, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Indices for all queries and the seconds taken; brute force in chunks to bound memory."""
    n = len(index.vectors)
    weighted = check_metric(index.metric).kernel == WEIGHTED_KERNEL
    chunk = len(queries) if index.name != BASELINE else max(
        1, min(2**27 // max(n, 1), 32 if weighted else len(queries)))
    start = time.perf_counter()
    found = [index.search(queries[s : s + chunk], K)[1] for s in range(0, len(queries), chunk)]
    return np.concatenate(found), time.perf_counter() - start


def run_one(vectors, queries, metric, method, synthetic, plan: Plan, truth=None) -> tuple:
    """Build and time one method; truth is brute force's distances (None: this is it)."""
    start = time.perf_counter()
    index = INDEX_KINDS[method].build(vectors, metric)
    build_s = time.perf_counter() - start
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
    return result, truth


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
            baseline, truth = run_one(vectors, queries, metric, BASELINE, synthetic, plan)
            results.append(baseline)
            report(_line(baseline))
            methods = [OURS] + ([REFERENCE] if size <= plan.vptree_max else []) + (
                [APPROX] if size >= plan.approx_min else [])
            for method in methods:
                result, _ = run_one(vectors, queries, metric, method, synthetic, plan, truth)
                results.append(result)
                report(_line(result))
        del banks, vectors
    return results


def _line(r: Result) -> str:
    return (f"{r.size:>10,} {r.metric:8} {r.method:8} build {r.build_s:7.2f} s  "
            f"p50 {r.p50_us:9.1f} us  p99 {r.p99_us:9.1f} us  {r.batch_qps:9.0f} q/s  "
            f"recall@10 {r.recall_at_10:.4f}")


def write_json(results: list[Result], plan: Plan, path: Path) -> None:
    payload = {
        "benchmark": "movemirror bench search",
        "k": K,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "data": ("Penn Action, 163,841 annotated poses from 2,326 clips; queries from held-out "
                 "clips. Banks beyond the real poses are enlarged with copies of them, half "
                 "mirrored, each rotated by up to 15 degrees and scaled by 0.8-1.25."),
        "plan": asdict(plan),
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
