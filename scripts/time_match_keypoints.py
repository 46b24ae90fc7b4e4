"""What a match's `keypoints` field costs the stream: reply size and the server's time per
message (parse, search with likeness mirrored and one per frame, the reply built from the
formatter's cached parts), the formatter without the field and with it, turn about.

    python scripts/time_match_keypoints.py BANK_DIR            # a bank of yours (pictures)
    python scripts/time_match_keypoints.py --penn               # Penn Action, no pictures

Queries: 200 real poses of another source (Penn Action frames for a bank; the bank at
--queries for Penn Action). Run it under `flock /tmp/bench.lock` on a shared machine."""

import argparse
import asyncio
import json
import time
from functools import lru_cache

import numpy as np

from movemirror.bank import PoseBank
from movemirror.bank.schema import KEYPOINTS
from movemirror.server import create_app
from movemirror.server.protocol import parse_query
from movemirror.server.records import MatchFormatter


def penn_poses() -> np.ndarray:
    from movemirror.datasets.penn_action import load_penn_action
    from movemirror.vectors import pose_problems

    penn = load_penn_action()
    return penn.keypoints[np.array([p is None for p in pose_problems(penn.keypoints)])]


def without_keypoints(bank: PoseBank) -> MatchFormatter:
    """The formatter as it was before the field: the same parts, `keypoints` left out."""
    formatter = MatchFormatter(bank)
    uncached = formatter._static_uncached

    def static(i: int) -> tuple[dict, str]:
        info = {k: v for k, v in uncached(i)[0].items() if k != KEYPOINTS}
        return info, json.dumps(info)[1:-1]

    formatter._static = lru_cache(maxsize=65_536)(static)
    return formatter


async def answer(state, formatter, text: str) -> tuple[float, int]:
    started = time.perf_counter()
    query = parse_query(text)
    hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror,
                                      query.one_per_frame)
    reply = (f'{{"type":"matches","id":{json.dumps(query.id)},'
             f'"matches":{formatter.as_json(hits)},"elapsed_ms":0.000}}')
    return time.perf_counter() - started, len(reply.encode())


async def compare(bank: PoseBank, queries: np.ndarray, k: int, turns: int) -> None:
    state = create_app(bank).state.movemirror
    state.matcher.warm()
    formatters = {"before": without_keypoints(bank), "after": state.formatter}
    texts = [json.dumps({"id": i, "keypoints": q.tolist(), "width": 640, "height": 480, "k": k,
                         "metric": "likeness", "mirror": True, "one_per_frame": True})
             for i, q in enumerate(queries)]
    for formatter in formatters.values():  # the caches warm, as on a running server
        for text in texts:
            await answer(state, formatter, text)
    times: dict[str, list[float]] = {name: [] for name in formatters}
    sizes: dict[str, list[int]] = {name: [] for name in formatters}
    for turn in range(turns):
        names = list(formatters) if turn % 2 == 0 else list(formatters)[::-1]
        for name in names:
            for text in texts:
                seconds, size = await answer(state, formatters[name], text)
                times[name].append(seconds)
                sizes[name].append(size)
    for name in formatters:
        print(f"k={k} {name:6s}: p50 {np.median(times[name]) * 1e6:7.1f} us, p90 "
              f"{np.percentile(times[name], 90) * 1e6:7.1f} us, "
              f"reply {np.mean(sizes[name]):7.0f} B")
    print(f"k={k} after/before: p50 {np.median(times['after']) / np.median(times['before']):.3f},"
          f" reply {np.mean(sizes['after']) / np.mean(sizes['before']):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bank", nargs="?", help="a bank to serve (with pictures)")
    parser.add_argument("--penn", action="store_true",
                        help="serve Penn Action's poses, every 10th frame, no pictures")
    parser.add_argument("--queries", help="with --penn: a bank whose poses are the queries")
    parser.add_argument("--turns", type=int, default=8)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.penn:
        bank = PoseBank.from_keypoints(penn_poses()[::10][:20_000])
        pool = PoseBank.load(args.queries).keypoints
    else:
        bank = PoseBank.load(args.bank)
        pool = penn_poses()
    queries = pool[rng.choice(len(pool), min(200, len(pool)), replace=False)]
    print(f"{len(bank)} poses, {len(queries)} queries")
    for k in (10, 20):
        asyncio.run(compare(bank, queries, k, args.turns))


if __name__ == "__main__":
    main()
