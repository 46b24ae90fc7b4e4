"""Fused query poses (issue 10; docs/match-quality.md, "Fused query poses: ensembles, flip,
BlazePose Heavy"): the gap the `likeness` search's top match closes on the TUNING half
(LSPET 4001-5000) for query sides fused by movemirror.pose.fuse, under each fusion setting,
against the archive as `make demo` indexes it. Reads the poses `movemirror bench quality`
cached (run it first with the sides named here; nothing is estimated by this script).

    .venv/bin/python scripts/tune_fusion.py --side 'ensemble:single:thunder:crop,...' ...
        [--agree 0.3 0.5] [--score kept all max] [--swap-margin 0.1] [--baseline SIDE]
        [--half report]   # the report half (5001-6000), once the choice is frozen
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from movemirror.bench.quality import HALVES
from movemirror.bench.quality_judged import JUDGES, chosen_scores
from movemirror.bench.quality_matches import likeness_matches
from movemirror.bench.quality_poses import Side, cached_estimates
from movemirror.bench.quality_side_poses import (
    query_poses,
    side_estimates,
)
from movemirror.bench.quality_tuning import tuning_setup
from movemirror.pose.fuse import FuseSettings
from movemirror.quality.gap import paired_gap_difference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", action="append", required=True)
    parser.add_argument("--baseline", default="page:blazepose-full:crop")
    parser.add_argument("--agree", type=float, nargs="+", default=[0.5])
    parser.add_argument("--same-person", type=float, nargs="+", default=[0.5])
    parser.add_argument("--swap-margin", type=float, nargs="+", default=[0.1])
    parser.add_argument("--score", nargs="+", default=["kept"])
    parser.add_argument("--best-of", action="store_true",
                        help="also the bound: per query the best top match of the sides by "
                        "each judge (chosen with the truth, so no pipeline can do it)")
    parser.add_argument("--half", choices=HALVES, default="tuning",
                        help="report: only once the choice is frozen")
    args = parser.parse_args()

    setup = tuning_setup(args.half)
    truths, query_ids, judged = setup.truths, setup.query_ids, setup.judged
    query_truths, archive_truths = setup.query_truths, setup.archive_truths
    archive, to_column, tuning = setup.archive, setup.to_column, setup.half
    random, oracle = setup.random, setup.oracle

    def top1(side: Side, settings: FuseSettings) -> tuple[dict[str, np.ndarray], np.ndarray]:
        estimates = {leaf: cached_estimates(leaf) for leaf in side.leaves()}
        found = query_poses(side, side_estimates(side, estimates, settings), truths, query_ids)
        rows = [q for q, pose in enumerate(found) if pose is not None and tuning[q]]
        matches = np.full((len(query_ids), 1), -1, np.int64)
        mirrored = np.zeros((len(query_ids), 1), bool)
        picked, flags, refused = likeness_matches(np.stack([found[q] for q in rows]), archive, 1)
        rows = np.array(rows)[~refused]
        matches[rows, 0] = to_column[picked[~refused, 0]]
        mirrored[rows, 0] = flags[~refused, 0]
        return ({n: chosen_scores(judged, n, query_truths, archive_truths, matches, mirrored,
                                  1)[tuning] for n in JUDGES}, matches[tuning, 0] >= 0)

    base, base_answered = top1(Side.parse(args.baseline, query=True), FuseSettings())
    print(f"baseline {args.baseline}: " + setup.figures(base, base_answered))
    best = {n: base[n].copy() for n in JUDGES}
    best_answered = base_answered.copy()
    for text in args.side:
        side = Side.parse(text, query=True)
        for agree, same, margin, score in itertools.product(
                args.agree, args.same_person, args.swap_margin, args.score):
            settings = FuseSettings(agree, same, margin, score)
            chosen, answered = top1(side, settings)
            for n in JUDGES:
                best[n] = np.fmin(best[n], chosen[n])
            best_answered |= answered
            diffs = ", ".join(
                "{} {:+.3f} [{:+.3f}, {:+.3f}]".format(
                    n, *paired_gap_difference(random[n], oracle[n], base[n], chosen[n]))
                for n in JUDGES)
            print(f"{side} agree={agree} same={same} swap={margin} score={score}: "
                  f"{setup.figures(chosen, answered)}; vs baseline {diffs}",
                  flush=True)
    if args.best_of:
        print(f"best of the baseline and these sides by the judge, per query: "
              f"{setup.figures(best, best_answered)}")



if __name__ == "__main__":
    main()
