"""Tune movement search's weights on Penn Action's TRAINING clips only.

The training clips are split at random (by clip) into a tuning bank (2/3) and tuning queries
(1/3), or with --folds n into n folds, each in turn the queries against a bank of the others
(every clip a query once: steadier figures); `movemirror bench motion` then reports the
chosen setting on the test clips, which this never reads. Prints top-1 / top-5 action
agreement of each setting (as performed and at 0.75x) against the still search of the middle
pose, on the same queries.

    .venv/bin/python scripts/tune_motion.py [--queries 300] [--weights 0,0.5,1,2,3]
        [--steps 0.1,0.2,0.4] [--root-weights 0,1.5] [--root-features same] [--draws 2]
        [--folds 3] [--torso-weights 0,3] [--features box,torso]
        [--epsilons 1,2] [--set 'PER_TRACK=2;PER_TRACK=4'] [--exhaustive]
        [--paces 1,m,0.75,1.33]
"""

from __future__ import annotations

import argparse

import numpy as np

import movemirror.motion.search as motion_search
from movemirror.bench.motion import STILL_POOL, K, _clip_of, bank_of
from movemirror.bench.motion_data import Clips, movements, split_clips
from movemirror.datasets.penn_action import load_penn_action
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.search import MotionIndex
from movemirror.motion.tracks import bank_tracks


def tuning_split(train: Clips, seed: int = 1) -> tuple[Clips, Clips]:
    """A bank of two thirds of the training clips and queries from the other third."""
    clips = np.unique(train.clip)
    rng = np.random.default_rng(seed)
    return _parts(train, rng.choice(clips, len(clips) // 3, replace=False))


def tuning_folds(train: Clips, folds: int, seed: int = 1) -> list[tuple[Clips, Clips]]:
    """(bank, queries) for each of `folds` disjoint thirds (or so) of the training clips:
    every clip is a query once, and never in its own bank."""
    clips = np.random.default_rng(seed).permutation(np.unique(train.clip))
    return [_parts(train, part) for part in np.array_split(clips, folds)]


def _parts(train: Clips, query_clips: np.ndarray) -> tuple[Clips, Clips]:
    is_query = np.isin(train.clip, query_clips)

    def part(mask):
        return Clips(train.keypoints[mask], train.clip[mask], train.times[mask], train.action)

    return part(~is_query), part(is_query)


def search_settings(text: str) -> list[dict]:
    """Alternatives of the search's constants, ';' between them, ',' within: 'PER_TRACK=2;
    PER_TRACK=4,CANDIDATES=256'; SPEEDS=lo:hi:n gives n speeds spaced evenly in log from lo
    to hi. An empty text: the defaults."""
    out = []
    for alternative in text.split(";"):
        setting: dict = {}
        for item in filter(None, alternative.split(",")):
            name, value = item.split("=")
            if name == "SPEEDS":
                lo, hi, n = (float(v) for v in value.split(":"))
                setting[name] = tuple(lo * (hi / lo) ** (j / (n - 1)) for j in range(int(n)))
            elif isinstance(getattr(motion_search, name), bool):
                setting[name] = value.lower() in ("1", "true", "yes")
            else:
                setting[name] = type(getattr(motion_search, name))(value)
        out.append(setting)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=300, help="per fold")
    parser.add_argument("--weights", default="0,0.5,1,2,3")
    parser.add_argument("--steps", default="0.2")
    parser.add_argument("--root-weights", default="0")
    parser.add_argument("--root-features", default="same",
                        help="scale of the root in the window index's features: comma-separated"
                             " values, or 'same' (the root weight)")
    parser.add_argument("--torso-weights", default="3",
                        help="comma-separated weights of the torso distance term")
    parser.add_argument("--features", default="torso",
                        help="comma-separated window index features: box, torso")
    parser.add_argument("--epsilons", default="2",
                        help="comma-separated approximation factors of the index's search")
    parser.add_argument("--draws", type=int, default=1,
                        help="movements per tuning clip (random starts; more steady figures)")
    parser.add_argument("--folds", type=int, default=1,
                        help="1: one split (bank 2/3, queries 1/3); n > 1: n folds, each clip "
                             "a query once, figures pooled")
    parser.add_argument("--metric", default="cosine")
    parser.add_argument("--paces", default="1,0.75",
                        help="comma-separated paces; m: as performed, mirrored (the search "
                             "mirrored too)")
    parser.add_argument("--set", default="",
                        help="alternatives of the search's constants, e.g. "
                             "'PER_TRACK=2;PER_TRACK=4' or 'SPEEDS=0.5:1.5:11'")
    parser.add_argument("--exhaustive", action="store_true",
                        help="score every window (the reference) instead of the index's")
    args = parser.parse_args()
    train, _ = split_clips(load_penn_action())
    splits = [tuning_split(train)] if args.folds == 1 else tuning_folds(train, args.folds)
    scales = [None] if args.root_features == "same" else list(
        map(float, args.root_features.split(",")))
    settings = [(step, weight, root, scale, torso, features, epsilon, search)
                for step in map(float, args.steps.split(","))
                for weight in map(float, args.weights.split(","))
                for root in map(float, args.root_weights.split(","))
                for scale in scales
                for torso in map(float, args.torso_weights.split(","))
                for features in args.features.split(",")
                for epsilon in map(float, args.epsilons.split(","))
                for search in search_settings(args.set)]
    paces = args.paces.split(",")
    still1: list[bool] = []
    top1: dict[tuple, list[bool]] = {}
    top5: dict[tuple, list[bool]] = {}
    speeds: dict[tuple, list[float]] = {}
    for bank_clips, query_clips in splits:
        queries = [q for draw in range(args.draws)
                   for q in movements(query_clips, args.queries, 2.0, seed=draw)]
        bank = bank_of(bank_clips)
        tracks = bank.records.column("track").to_pylist()
        actions = train.action
        for q in queries:
            found = bank.search(q.poses[len(q.poses) // 2], k=STILL_POOL, metric=args.metric)
            clips = list(dict.fromkeys(_clip_of(tracks[i]) for i in found.indices[0]))[:K]
            still1.append(actions[clips[0]] == q.action)
        print(f"tuning bank {len(bank):,} poses; {len(queries)} queries; still top-1 so far "
              f"{np.mean(still1):.3f} over {len(still1)}", flush=True)
        moving = bank_tracks(bank.records)
        for step, weight, root, scale, torso, features, epsilon, search in settings:
            defaults = {name: getattr(motion_search, name) for name in search}
            for name, value in search.items():
                setattr(motion_search, name, value)
            index = MotionIndex(bank.vectors, bank.keypoints, moving, velocity_weight=weight,
                                velocity_step=step, root_weight=root, root_feature_scale=scale,
                                torso_weight=torso, features=features, coarse_epsilon=epsilon)
            for pace in paces:
                key = (step, weight, root, index.root_feature_scale, torso, features,
                       epsilon, _label(search), pace)
                flipped = pace == "m"
                for q in queries:
                    found = index.search(mirror_keypoints(q.poses) if flipped else q.poses,
                                         q.times / (1.0 if flipped else float(pace)), k=K,
                                         metric=args.metric, mirror=flipped,
                                         exhaustive=args.exhaustive)
                    got = [actions[_clip_of(m.track)] for m in found]
                    top1.setdefault(key, []).append(bool(got) and got[0] == q.action)
                    top5.setdefault(key, []).append(q.action in got)
                    speeds.setdefault(key, []).extend(m.speed for m in found[:1])
            for name, value in defaults.items():
                setattr(motion_search, name, value)
    kind = "exhaustive " if args.exhaustive else ""
    print(f"{len(still1)} queries; still top-1 {np.mean(still1):.3f}")
    for key, hits in top1.items():
        step, weight, root, scale, torso, features, epsilon, label, pace = key
        print(f"{kind}step {step:.2f} weight {weight:4.2f} root {root:4.2f} root features "
              f"{scale:.2f} torso {torso:4.2f} index {features} epsilon "
              f"{epsilon:g} {label}pace {_pace(pace)}: top-1 {np.mean(hits):.3f} "
              f"(+{np.mean(hits) - np.mean(still1):.3f}) top-5 {np.mean(top5[key]):.3f} "
              f"median speed {np.median(speeds[key]):.2f}",
              flush=True)


def _pace(pace: str) -> str:
    return "mirrored" if pace == "m" else f"{float(pace):.2f}"


def _label(search: dict) -> str:
    return "".join(f"{name} {len(value)} from {value[0]:.2f} to {value[-1]:.2f} "
                   if name == "SPEEDS" else f"{name} {value} " for name, value in search.items())


if __name__ == "__main__":
    main()
