"""Movement search as it is (or as --base sets it) against one alternative of its constants,
on Penn Action's TEST clips, paired: the same movements through both, query by query, in one
process.

For the final check of a setting chosen on the training folds (scripts/tune_motion.py), run
once. Prints for each variant (as performed, mirrored, at 0.75x and 1.33x) the top-1 action
agreement of both (and their best windows' median speed) and of the still search, the
difference with its 95 % paired bootstrap interval and how many movements each got right
alone; then (--part) time per query on one core (p50, p99) with the two settings turn about,
as performed (run it under the bench lock). An empty --set or --base: the code as it is.

    .venv/bin/python scripts/compare_motion.py --set 'SPEEDS=0.54:1.44:9' [--base '']
        [--queries 500] [--part both|agreement|timing]
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
from tune_motion import search_settings

import movemirror.motion.search as motion_search
from movemirror.bench.blas_threads import blas_threads
from movemirror.bench.motion import STILL_POOL, K, Plan, _clip_of, _variants, bank_of
from movemirror.bench.motion_data import movements, split_clips
from movemirror.datasets.penn_action import load_penn_action
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.windows import MOTION_METRIC
from movemirror.stats import bootstrap_interval


@contextlib.contextmanager
def constants(setting: dict):
    """motion_search's constants set as in setting for the block."""
    saved = {name: getattr(motion_search, name) for name in setting}
    for name, value in setting.items():
        setattr(motion_search, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(motion_search, name, value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", required=True, help="the alternative, as tune_motion's --set")
    parser.add_argument("--base", default="", help="the baseline, the same way (default: as is)")
    parser.add_argument("--queries", type=int, default=Plan.queries)
    parser.add_argument("--part", choices=("both", "agreement", "timing"), default="both",
                        help="timing: run it under the bench lock")
    args = parser.parse_args()
    (setting,), (base,) = search_settings(args.set), search_settings(args.base)
    train, test = split_clips(load_penn_action())
    queries = movements(test, args.queries, Plan.seconds, Plan.seed)
    bank = bank_of(train)
    tracks = bank.records.column("track").to_pylist()
    print(f"bank {len(bank):,} poses; {len(queries)} test movements; base {args.base or 'as is'}"
          f"; alternative {args.set}")
    for name, pace, flipped in _variants(Plan()) if args.part != "timing" else []:
        old: list[bool] = []
        new: list[bool] = []
        still: list[bool] = []
        speeds: tuple[list[float], list[float]] = ([], [])
        for q in queries:
            poses = mirror_keypoints(q.poses) if flipped else q.poses
            for hits, speed, chosen in ((old, speeds[0], base), (new, speeds[1], setting)):
                with constants(chosen):
                    found = bank.search_motion(poses, q.times / pace, k=K, mirror=flipped)
                hits.append(bool(found) and train.action[_clip_of(found[0].track)] == q.action)
                speed.extend(m.speed for m in found[:1])
            found_still = bank.search(poses[len(poses) // 2], k=STILL_POOL,
                                      metric=MOTION_METRIC, mirror=flipped)
            still.append(train.action[_clip_of(tracks[found_still.indices[0][0]])] == q.action)
        old_a, new_a = np.array(old), np.array(new)
        # 95 % interval of mean(new - old), the movements resampled with replacement, paired.
        low, high = bootstrap_interval(lambda o, n: (n - o).mean(axis=1), old_a.astype(float),
                                       new_a.astype(float), draws=4000)
        print(f"{name:13} still {np.mean(still):.3f}  base {old_a.mean():.3f}  alternative "
              f"{new_a.mean():.3f}  difference {new_a.mean() - old_a.mean():+.3f} (95 % "
              f"{low:+.3f} to {high:+.3f}; better {int((new_a & ~old_a).sum())}, worse "
              f"{int((old_a & ~new_a).sum())}; median speed {np.median(speeds[0]):.2f} and "
              f"{np.median(speeds[1]):.2f})", flush=True)
    if args.part == "agreement":
        return
    with blas_threads(1):
        for q in queries[:3]:  # warm up both
            for chosen in (base, setting):
                with constants(chosen):
                    bank.search_motion(q.poses, q.times, k=K)
        spent: dict[str, list[float]] = {"base": [], "alternative": []}
        for i, q in enumerate(queries):
            order = (("base", base), ("alternative", setting))
            for label, chosen in order if i % 2 == 0 else order[::-1]:
                with constants(chosen):
                    start = time.perf_counter()
                    bank.search_motion(q.poses, q.times, k=K)
                    spent[label].append(time.perf_counter() - start)
    for label, values in spent.items():
        print(f"time per query, {label}: p50 {np.percentile(values, 50) * 1e3:.2f} ms, p99 "
              f"{np.percentile(values, 99) * 1e3:.2f} ms ({len(values)} queries, one core)")


if __name__ == "__main__":
    main()
