"""`movemirror bench quality`: do the matches look like the query, judged on true poses?

LSPET has annotated joints for every photo, so the match a pipeline picks can be judged by
the TRUE poses of query and match, with judges that know nothing of the search distance
(movemirror.quality.judges). Per query: the judge's score of the top match (and the mean of
the top five), of the archive's best photo by that judge (oracle) and of a random archive
photo (the mean); the figure is the fraction of the random-to-oracle gap closed (a ratio of
means, movemirror.quality.gap).

A pipeline = how the archive's poses were estimated x how the query's were x the distance
(x whether the mirrored query is searched too). Photos 1-4000 are the archive; 4001-5000 the
TUNING queries (look at them while choosing anything), 5001-6000 the REPORT queries (only
reported).

Here: the plan and its run. The pipeline: bench.quality_pipeline; the poses estimated:
bench.quality_poses; the poses each side searches: bench.quality_side_poses; the matches:
bench.quality_matches; the judging: bench.quality_judged; the table and JSON:
bench.quality_report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movemirror.bench.machine import machine_info
from movemirror.bench.quality_judged import JUDGES, Judged, chosen_scores, judge_all
from movemirror.bench.quality_matches import likeness_matches, reranked_matches, top_matches
from movemirror.bench.quality_pipeline import DEFAULT_PIPELINES, LEARNED, Pipeline
from movemirror.bench.quality_poses import Estimates, Side, estimate_side
from movemirror.bench.quality_side_poses import (
    archive_poses,
    query_poses,
    side_estimates,
    training_pairs,
    truth_pose,
)
from movemirror.distances import LIKENESS
from movemirror.quality.gap import gap_closed, paired_gap_difference
from movemirror.quality.learned import CANDIDATES, LearnedSearch

Report = Callable[[str], None]
TOP = 5


@dataclass
class Plan:
    archive: tuple[int, int] = (0, 4000)  # dataset indices [start, stop)
    tuning: tuple[int, int] = (4000, 5000)
    held_out: tuple[int, int] = (5000, 6000)
    pipelines: tuple[str, ...] = DEFAULT_PIPELINES
    workers: int = 1


# The query halves by name: tune on "tuning", report "report" (the scripts' --half).
HALVES = {"tuning": range(*Plan.tuning), "report": range(*Plan.held_out)}


def default_workers() -> int:
    """Worker processes for estimation: the cores the machine's load leaves free (at least 1)."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, round(cores - os.getloadavg()[0])))


@dataclass
class HalfResult:
    queries: int
    answered: int
    gap: dict[str, float]  # "limb_top1", "limb_top5", "joint_top1", "joint_top5"
    # The same over all queries, a query without a match counted as a random photo (the
    # page shows nothing): comparable between pipelines that answer different queries.
    gap_all: dict[str, float]


@dataclass
class PipelineResult:
    pipeline: str
    archive_photos: int  # archive photos present (estimated: the annotated person kept)
    halves: dict[str, HalfResult]
    search_seconds: float
    archive_photos_per_second: float | None  # estimation cost, as measured when cached
    query_photos_per_second: float | None


def run(plan: Plan, report: Report, data_root: Path | None = None) -> dict:
    from movemirror.datasets import dataset_dir
    from movemirror.datasets.lspet import load_lspet

    root = data_root or dataset_dir("lspet")
    started = time.perf_counter()
    pipelines = [Pipeline.parse(p) for p in plan.pipelines]
    halves = {"tuning": range(*plan.tuning), "report": range(*plan.held_out)}
    archive_range = range(*plan.archive)
    query_range = [i for half in halves.values() for i in half]
    first = min([archive_range.start, *query_range])
    last = max([archive_range.stop, *(i + 1 for i in query_range)])
    samples = load_lspet(root, limit=last - first, start=first)
    truths = {int(s.path.stem[2:]) - 1: s.joints for s in samples}
    paths = {int(s.path.stem[2:]) - 1: s.path for s in samples}
    archive_ids = [i for i in archive_range if i in truths]
    query_ids = [i for i in query_range if i in truths]
    report(f"LSPET: archive {len(archive_ids)} photos, queries {len(query_ids)} "
           f"(tuning {plan.tuning[0] + 1}-{plan.tuning[1]}, report "
           f"{plan.held_out[0] + 1}-{plan.held_out[1]})")

    archive_truths = np.stack([truth_pose(truths[i]) for i in archive_ids])
    query_truths = np.stack([truth_pose(truths[i]) for i in query_ids])
    judged = judge_all(query_truths, archive_truths)
    column = {photo: c for c, photo in enumerate(archive_ids)}

    sides = {leaf for p in pipelines for s in (p.archive, p.query) for leaf in s.leaves()
             if leaf.source != "truth"}
    estimates: dict[Side, Estimates] = {}
    for side in sorted(sides, key=str):
        # "learned" learns from the query side's poses of the archive photos too.
        as_archive = any(p.archive == side or (side in p.query.leaves() and p.metric == LEARNED)
                         for p in pipelines)
        as_query = any(side in p.query.leaves() for p in pipelines)
        wanted = sorted({*(archive_ids if as_archive else ()),
                         *(query_ids if as_query else ())})
        estimates[side] = estimate_side(side, [(i, paths[i]) for i in wanted], plan.workers,
                                        report)

    results: list[PipelineResult] = []
    top1: dict[Pipeline, dict[str, np.ndarray]] = {}
    for pipeline in pipelines:
        result, top1[pipeline] = _run_pipeline(pipeline, estimates, truths, archive_ids,
                                               query_ids, query_truths, archive_truths, column,
                                               judged, halves)
        results.append(result)
        report(_line(result))
    comparisons = _compare(pipelines, top1, judged, _half_masks(query_ids, halves), report)
    search_time = _time_two_stage(pipelines, estimates, truths, archive_ids, query_ids, report)
    return {
        "plan": asdict(plan),
        "machine": machine_info(),
        "judges": {"limb": "mean angle (degrees) between the body segments' directions",
                   "joint": "mean joint distance after aligning position and size, in torsos"},
        "gap": "ratio of means: sum(random - chosen) / sum(random - oracle) over answered "
               "queries; oracle and random over the whole archive (true poses)",
        "reference": {half: {name: {"random": float(np.nanmean(judged.random[name][sel])),
                                    "oracle": float(np.nanmean(judged.oracle[name][sel]))}
                             for name in JUDGES}
                      for half, sel in _half_masks(query_ids, halves).items()},
        "results": [asdict(r) for r in results],
        "comparisons": comparisons,
        "search_time": search_time,
        "seconds": time.perf_counter() - started,
    }


def _time_two_stage(pipelines, estimates, truths, archive_ids, query_ids,
                    report: Report) -> dict | None:
    """The first "likeness" pipeline's search, timed through PoseBank against cosine, the
    mirror search and the Python two-stage search on the same bank and queries
    (bench.quality_rerank)."""
    from movemirror.bank import PoseBank
    from movemirror.bench.quality_rerank import time_search, timing_line

    pipeline = next((p for p in pipelines if p.metric == LIKENESS), None)
    if pipeline is None:
        return None
    _, archive = archive_poses(pipeline.archive, estimates.get(pipeline.archive), truths,
                               archive_ids, pipeline.refuse)
    asked = [p for p in query_poses(pipeline.query, side_estimates(pipeline.query, estimates),
                                    truths, query_ids) if p is not None]
    if not len(archive) or not asked:
        return None
    timed = time_search(PoseBank.from_keypoints(archive), np.stack(asked),
                        max(pipeline.rerank, 10))
    timed["pipeline"] = str(pipeline)
    report(f"search time per query, {pipeline}: {timing_line(timed)}")
    return timed


def _half_masks(query_ids, halves) -> dict[str, np.ndarray]:
    ids = np.array(query_ids)
    return {name: (ids >= r.start) & (ids < r.stop) for name, r in halves.items()}


def _rate(estimates: Estimates | None, photos: int) -> float | None:
    if estimates is None or estimates.seconds <= 0:
        return None
    return len(estimates.poses) / estimates.seconds


def _run_pipeline(pipeline, estimates, truths, archive_ids, query_ids, query_truths,
                  archive_truths, column, judged, halves
                  ) -> tuple[PipelineResult, dict[str, np.ndarray]]:
    """The pipeline's result, and per judge each query's score of its top match."""
    archive_est = estimates.get(pipeline.archive)
    query_est = side_estimates(pipeline.query, estimates)
    present, archive = archive_poses(pipeline.archive, archive_est, truths, archive_ids,
                                     pipeline.refuse)
    queries = query_poses(pipeline.query, query_est, truths, query_ids)
    answered = [q for q, pose in enumerate(queries) if pose is not None]
    started = time.perf_counter()
    matches = np.full((len(query_ids), TOP), -1, np.int64)
    mirrored = np.zeros((len(query_ids), TOP), bool)
    if answered and len(archive):
        asked = np.stack([pose for pose in queries if pose is not None])  # in `answered` order
        if pipeline.metric == LEARNED:
            search = LearnedSearch.fit(*training_pairs(pipeline, estimates, truths, archive_ids))
            rows, flags = search.matches(asked, archive, TOP, pipeline.rerank or CANDIDATES)
        elif pipeline.metric == LIKENESS:
            rows, flags, refused = likeness_matches(asked, archive, TOP, pipeline.rerank)
            answered = [q for q, no in zip(answered, refused, strict=True) if not no]
            rows, flags = rows[~refused], flags[~refused]
        elif pipeline.rerank:
            rows, flags = reranked_matches(pipeline.metric, asked, archive, TOP, pipeline.mirror,
                                           pipeline.rerank)
        else:
            rows, flags = top_matches(pipeline.metric, asked, archive, TOP, pipeline.mirror)
        to_column = np.array([column[p] for p in present])
        matches[answered, : rows.shape[1]] = np.where(rows >= 0, to_column[rows], -1)
        mirrored[answered, : rows.shape[1]] = flags
    seconds = time.perf_counter() - started
    chosen = {}
    for name in JUDGES:
        for k in (1, TOP):
            chosen[f"{name}_top{k}"] = chosen_scores(judged, name, query_truths, archive_truths,
                                                     matches, mirrored, k)
    out = {}
    for half, sel in _half_masks(query_ids, halves).items():
        gaps, gaps_all = {}, {}
        for key, values in chosen.items():
            random = judged.random[key.split("_")[0]][sel]
            oracle = judged.oracle[key.split("_")[0]][sel]
            gaps[key] = gap_closed(random, oracle, values[sel])
            answered = matches[sel, 0] >= 0
            gaps_all[key] = gap_closed(random, oracle, np.where(answered, values[sel], random))
        out[half] = HalfResult(int(sel.sum()), int((matches[sel, 0] >= 0).sum()), gaps,
                               gaps_all)
    result = PipelineResult(str(pipeline), len(present), out, seconds,
                            _rate(archive_est, len(archive_ids)),
                            _rate(query_est, len(query_ids)))
    return result, {name: chosen[f"{name}_top1"] for name in JUDGES}


def _compare(pipelines, top1, judged: Judged, halves: dict[str, np.ndarray],
             report: Report) -> list[dict]:
    """Each pipeline that is not plain cosine against plain cosine on the same poses (if
    run), and a "learned" or mirrored re-ranking one against "likeness" (the default search)
    too: the top match's gap closed, the difference and its paired bootstrap interval."""
    out = []
    for pipeline, base in _baselines(pipelines):
        if pipeline == base or base not in top1:
            continue
        for half, sel in halves.items():
            found = {}
            for name in JUDGES:
                found[name] = paired_gap_difference(
                    judged.random[name][sel], judged.oracle[name][sel], top1[base][name][sel],
                    top1[pipeline][name][sel])
            out.append({"pipeline": str(pipeline), "baseline": str(base), "half": half,
                        **{name: dict(zip(("difference", "low", "high"), values, strict=True))
                           for name, values in found.items()}})
            report(f"  {pipeline} - {base}, {half}: " + ", ".join(
                f"{name} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for name, (d, lo, hi) in found.items()))
    return out


def _baselines(pipelines) -> list[tuple[Pipeline, Pipeline]]:
    pairs = []
    for pipeline in pipelines:
        pairs.append((pipeline, Pipeline(pipeline.archive, pipeline.query, "cosine")))
        # "learned", and a second stage tried on cosine's candidates either way round (as
        # likeness re-orders them), against the default search.
        if pipeline.metric == LEARNED or (pipeline.rerank and pipeline.mirror):
            pairs.append((pipeline, Pipeline(pipeline.archive, pipeline.query, LIKENESS)))
        # A fused query side (+flip, ensemble) against each of its single models alone.
        for leaf in pipeline.query.leaves() if pipeline.query.fused else ():
            if not leaf.mirrored:
                pairs.append((pipeline, Pipeline(pipeline.archive, leaf, pipeline.metric,
                                                 pipeline.mirror, pipeline.refuse,
                                                 pipeline.rerank)))
    return pairs


def _line(result: PipelineResult) -> str:
    parts = [result.pipeline]
    for half, r in result.halves.items():
        parts.append(f"{half}: limb {r.gap['limb_top1']:.3f} joint {r.gap['joint_top1']:.3f} "
                     f"({r.answered}/{r.queries} answered)")
    return "  ".join(parts)
