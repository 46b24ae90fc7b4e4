"""`movemirror bench motion`: movement search against the still search of one frame.

Bank: Penn Action's training clips (tracks = clips, 30 fps). Queries: a two-second movement
from each of the test clips. For each, the action of the best window's clip (top-1) and of
any of the best 5 tracks (top-5) is compared with the query's; the baseline, in the same run,
is today's search of the movement's middle pose alone (its best 5 distinct clips). Variants:
the movement as performed, mirrored left-right (both methods then search mirrored too), and
played at other paces (the still baseline is unchanged by pace). Time per query on one core
at the real bank's size and on a bank enlarged with transformed copies of whole clips; the
window index's build time and memory; the default search's recall against the exhaustive one.
Nothing here was tuned on the test clips.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from movemirror.bank import PoseBank
from movemirror.bench.blas_threads import blas_threads
from movemirror.bench.machine import machine_info
from movemirror.bench.motion_data import Clips, Movement, enlarged, movements, split_clips
from movemirror.bench.motion_data import track_meta as _track_meta
from movemirror.datasets.penn_action import load_penn_action
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.windows import MOTION_METRIC

K = 5
STILL_POOL = 50  # still matches searched to find the best K distinct clips


@dataclass(frozen=True)
class Plan:
    queries: int = 500  # test clips, one movement each
    seconds: float = 2.0
    paces: tuple[float, ...] = (0.75, 1.33)
    large: int = 1_000_000  # poses of the enlarged bank (0: none)
    large_queries: int = 100
    recall_queries: int = 15  # compared with the exhaustive search (seconds each)
    metric: str = MOTION_METRIC  # of both searches
    seed: int = 0


@dataclass
class Agreement:
    variant: str
    method: str  # "movement" or "still"
    queries: int
    top1: float
    top5: float
    median_speed: float | None = None  # of the best windows (movement only)


@dataclass
class Timing:
    poses: int
    tracks: int
    synthetic: bool
    build_s: float  # the window index
    memory_bytes: int  # the window index, its copy of the tracks' vectors included
    queries: int
    p50_ms: float
    p99_ms: float
    still_p50_ms: float
    still_p99_ms: float


@dataclass
class Recall:
    poses: int
    queries: int
    recall_at_5: float  # of the exhaustive search's top 5 tracks, found by the default
    top1_same: float
    distance_ratio_5th: float  # mean of the default's 5th distance over the exhaustive's


@dataclass
class Results:
    bank_poses: int
    bank_tracks: int
    queries: int
    metric: str
    agreement: list[Agreement] = field(default_factory=list)
    timing: list[Timing] = field(default_factory=list)
    recall: Recall | None = None


def bank_of(clips: Clips) -> PoseBank:
    return PoseBank.from_keypoints(clips.keypoints, meta=_track_meta(clips.clip, clips.times))


def _variants(plan: Plan) -> list[tuple[str, float, bool]]:
    """(name, pace, mirrored)."""
    return [("as performed", 1.0, False), ("mirrored", 1.0, True),
            *((f"at {pace:g}x", pace, False) for pace in plan.paces)]


def _clip_of(track: str) -> int:
    return int(track.split("+")[0])


def agreement(bank: PoseBank, queries: list[Movement], actions: dict[int, str], plan: Plan,
              report: Callable[[str], None]) -> list[Agreement]:
    """Agreement of the movement and the still search, for every variant of the queries."""
    tracks = bank.records.column("track").to_pylist()
    out = []
    for name, pace, flipped in _variants(plan):
        top1, top5, speeds, still1, still5 = [], [], [], [], []
        for query in queries:
            poses = mirror_keypoints(query.poses) if flipped else query.poses
            times = query.times / pace
            found = bank.search_motion(poses, times, k=K, metric=plan.metric, mirror=flipped)
            got = [actions[_clip_of(m.track)] for m in found]
            top1.append(bool(got) and got[0] == query.action)
            top5.append(query.action in got)
            if found:
                speeds.append(found[0].speed)
            still = bank.search(poses[len(poses) // 2], k=STILL_POOL, metric=plan.metric,
                                mirror=flipped)
            clips = list(dict.fromkeys(_clip_of(tracks[i]) for i in still.indices[0]))[:K]
            still1.append(actions[clips[0]] == query.action)
            still5.append(query.action in [actions[c] for c in clips])
        out.append(Agreement(name, "movement", len(queries), float(np.mean(top1)),
                             float(np.mean(top5)), float(np.median(speeds))))
        out.append(Agreement(name, "still", len(queries), float(np.mean(still1)),
                             float(np.mean(still5))))
        report(f"{name:14} movement top-1 {out[-2].top1:.3f} top-5 {out[-2].top5:.3f} "
               f"(median speed {out[-2].median_speed:.2f})   still top-1 {out[-1].top1:.3f} "
               f"top-5 {out[-1].top5:.3f}")
    return out


def timing(bank: PoseBank, queries: list[Movement], synthetic: bool,
           metric: str = MOTION_METRIC) -> Timing:
    """Build the window index, then time single queries as performed (one core)."""
    with blas_threads(1):
        start = time.perf_counter()
        index = bank.motion_index()
        build_s = time.perf_counter() - start
        bank.index(metric)  # the still index, built before timing
        for query in queries[:3]:  # warm caches
            bank.search_motion(query.poses, query.times, k=K, metric=metric)
            bank.search(query.poses[len(query.poses) // 2], k=STILL_POOL, metric=metric)
        motion_times = []
        for query in queries:
            start = time.perf_counter()
            bank.search_motion(query.poses, query.times, k=K, metric=metric)
            motion_times.append(time.perf_counter() - start)
        still_times = []
        for query in queries:
            start = time.perf_counter()
            bank.search(query.poses[len(query.poses) // 2], k=STILL_POOL, metric=metric)
            still_times.append(time.perf_counter() - start)
    ms = lambda values, q: float(np.percentile(values, q) * 1e3)  # noqa: E731
    return Timing(len(bank), len(index.tracks), synthetic, build_s, int(index.nbytes),
                  len(motion_times), ms(motion_times, 50), ms(motion_times, 99),
                  ms(still_times, 50), ms(still_times, 99))


def recall(bank: PoseBank, queries: list[Movement], metric: str = MOTION_METRIC) -> Recall:
    found_sets, same, ratios = [], [], []
    for query in queries:
        found = bank.search_motion(query.poses, query.times, k=K, metric=metric)
        truth = bank.search_motion(query.poses, query.times, k=K, metric=metric,
                                   exhaustive=True)
        found_sets.append(len({m.track for m in found} & {m.track for m in truth}) / K)
        same.append(found[0].track == truth[0].track)
        ratios.append(found[-1].distance / truth[-1].distance)
    return Recall(len(bank), len(queries), float(np.mean(found_sets)), float(np.mean(same)),
                  float(np.mean(ratios)))


def run(plan: Plan, report: Callable[[str], None] = print) -> Results:
    penn = load_penn_action()
    train, test = split_clips(penn)
    queries = movements(test, plan.queries, plan.seconds, plan.seed)
    bank = bank_of(train)
    results = Results(len(bank), len(np.unique(train.clip)), len(queries), plan.metric)
    report(f"bank: {len(bank):,} poses of {results.bank_tracks:,} training clips; queries: "
           f"{len(queries):,} movements of {plan.seconds:g} s from test clips; metric: "
           f"{plan.metric}")
    results.timing.append(timing(bank, queries, False, plan.metric))
    report(_timing_line(results.timing[-1]))
    results.agreement = agreement(bank, queries, train.action, plan, report)
    if plan.recall_queries:
        results.recall = recall(bank, queries[:plan.recall_queries], plan.metric)
        r = results.recall
        report(f"recall@5 against the exhaustive search: {r.recall_at_5:.3f} over {r.queries} "
               f"queries; same best track {r.top1_same:.3f}; 5th distance ratio "
               f"{r.distance_ratio_5th:.4f}")
    if plan.large > len(bank):
        del bank
        keypoints, meta = enlarged(train, plan.large, plan.seed)
        large = PoseBank.from_keypoints(keypoints, meta=meta)
        del keypoints, meta
        results.timing.append(timing(large, queries[:plan.large_queries], True, plan.metric))
        report(_timing_line(results.timing[-1]))
    return results


def _timing_line(t: Timing) -> str:
    return (f"{t.poses:>10,} poses: window index built in {t.build_s:.1f} s, "
            f"{t.memory_bytes / 2**20:,.0f} MB; movement p50 {t.p50_ms:.2f} ms p99 "
            f"{t.p99_ms:.2f} ms; still p50 {t.still_p50_ms:.2f} ms")


def write_json(results: Results, plan: Plan, path: Path) -> None:
    payload = {
        "benchmark": "movemirror bench motion",
        "k": K,
        "machine": machine_info(),
        "data": ("Penn Action: bank = the training clips' poses (tracks = clips, 30 fps); "
                 "queries = one movement from each of the test clips. The enlarged bank adds "
                 "copies of whole training clips, each rotated by up to 15 degrees and scaled "
                 "by 0.8-1.25, half mirrored."),
        "plan": asdict(plan),
        "results": asdict(results),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
