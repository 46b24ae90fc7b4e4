"""A second stage learned from ground truth (issue 10; docs/match-quality.md, "Tried, not
kept: a second stage learned from ground truth"): a linear score of (query, candidate)
features (movemirror.quality.learned_order) orders likeness's own candidates (cosine's exact
top C either way round among the archive poses with a torso), trained with a listwise
softmax cross-entropy against the judges' scores of the candidates' TRUE poses.

Training queries: LSPET's tuning half (photos 4001-5000) and, with `archive` in the data
choice, the archive's own photos (1-4000) as the page's query model sees them, searched
against the rest of the archive (the photo itself left out). The report half (5001-6000) is
used only by `report`, once the weights are frozen. Reads the poses `movemirror bench
quality` cached (run it first with the same query side; archive photos as queries are
estimated here if missing, Lightning crop about 35 photos/s).

    .venv/bin/python scripts/tune_rerank.py cv [--folds 5]
        # K-fold cross-validation (folds by photo) over the choices, tuning half only
    .venv/bin/python scripts/tune_rerank.py freeze --features F --reg R --temperature T
        --data D --candidates C --out weights.npz
    .venv/bin/python scripts/tune_rerank.py report --weights weights.npz
        [--query single:lightning:crop]   # the report half, once
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings
from dataclasses import dataclass

import numpy as np

from movemirror.bench.quality import HALVES
from movemirror.bench.quality_judged import JUDGES, judge_all
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.bench.quality_poses import Side, estimate_side
from movemirror.bench.quality_side_poses import archive_poses, query_poses, truth_pose
from movemirror.datasets import dataset_dir
from movemirror.datasets.lspet import load_lspet
from movemirror.distances import cosine_distance, weighted_distance
from movemirror.keypoints import mirror_keypoints
from movemirror.quality.gap import gap_closed, paired_gap_difference, reference_scores
from movemirror.quality.learned_order import (
    FEATURE_NAMES,
    LinearOrder,
    fit_linear_order,
    pair_features,
    softmax_targets,
)
from movemirror.torso_vectors import torso_vectors_where_possible
from movemirror.vectors import to_vectors

FEATURE_SETS = {
    "base": ("cosine", "torso"),
    "gaps": ("cosine", "torso", "gap "),
    "gaps+scores": ("cosine", "torso", "gap ", "score "),
    "all": ("cosine", "torso", "gap ", "score ", "angle "),
    "gaps+aligned": ("cosine", "torso", "gap ", "aligned"),
    "all+aligned": ("cosine", "torso", "gap ", "score ", "angle ", "aligned"),
    "gaps+sure": ("cosine", "torso", "gap ", "sure gap "),
    "gaps+sure+aligned": ("cosine", "torso", "gap ", "sure gap ", "aligned"),
    "everything": ("cosine", "torso", "gap ", "score ", "sure gap ", "angle ", "aligned"),
}


def feature_columns(name: str) -> np.ndarray:
    prefixes = FEATURE_SETS[name]
    return np.array([i for i, f in enumerate(FEATURE_NAMES) if f.startswith(prefixes)])


@dataclass
class Queries:
    """One set of queries' candidates, in likeness's order (position 0 is likeness's pick;
    for a query without a torso, stage one's order, never re-ordered)."""

    photos: np.ndarray  # (Q,) photo index
    features: np.ndarray  # (Q, C, F)
    mask: np.ndarray  # (Q, C)
    reorder: np.ndarray  # (Q,) whether the second stage orders this query
    scores: dict[str, np.ndarray]  # judge -> (Q, C): each candidate as it would be shown
    random: dict[str, np.ndarray]  # judge -> (Q,)
    oracle: dict[str, np.ndarray]

    def subset(self, keep: np.ndarray) -> Queries:
        return Queries(self.photos[keep], self.features[keep], self.mask[keep],
                       self.reorder[keep], {k: v[keep] for k, v in self.scores.items()},
                       {k: v[keep] for k, v in self.random.items()},
                       {k: v[keep] for k, v in self.oracle.items()})

    def gains(self) -> np.ndarray:
        """Per candidate the mean over the judges of its gap-normalised score (1: the
        oracle's, 0: a random photo's)."""
        per_judge = [(self.random[n][:, None] - self.scores[n])
                     / (self.random[n] - self.oracle[n])[:, None] for n in JUDGES]
        with warnings.catch_warnings():  # a candidate neither judge can score: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.stack(per_judge), axis=0)

    def picked(self, picks: np.ndarray) -> dict[str, np.ndarray]:
        return {n: self.scores[n][np.arange(len(picks)), picks] for n in JUDGES}


def load(query_side: str, which: str, c: int) -> Queries:
    """`which`: a half's queries, or "archive" (the archive photos as queries, each against
    the rest of the archive)."""
    samples = load_lspet(dataset_dir("lspet"), limit=6000, start=0)
    truths = {int(s.path.stem[2:]) - 1: s.joints for s in samples}
    paths = {int(s.path.stem[2:]) - 1: s.path for s in samples}
    archive_ids = [i for i in range(4000) if i in truths]
    archive_truths = np.stack([truth_pose(truths[i]) for i in archive_ids])
    a_side, q_side = Side.parse(ARCHIVE_SIDE), Side.parse(query_side)
    a_est = estimate_side(a_side, [(i, paths[i]) for i in archive_ids], 1, print)
    present, archive = archive_poses(a_side, a_est, truths, archive_ids)
    column = {p: k for k, p in enumerate(archive_ids)}
    to_column = np.array([column[p] for p in present])
    if which == "archive":
        query_ids = archive_ids
        judged = judge_all(archive_truths, archive_truths)
        scores = {n: m.astype(np.float64) for n, m in judged.scores.items()}
        for m in scores.values():
            np.fill_diagonal(m, np.nan)  # the photo itself is not in its own archive
        refs = {n: reference_scores(m) for n, m in scores.items()}
        random = {n: r[0] for n, r in refs.items()}
        oracle = {n: r[1] for n, r in refs.items()}
        query_truths = archive_truths
    else:
        query_ids = [i for i in range(4000, 6000) if i in truths]
        query_truths = np.stack([truth_pose(truths[i]) for i in query_ids])
        judged = judge_all(query_truths, archive_truths)
        scores, random, oracle = judged.scores, judged.random, judged.oracle
    q_est = (None if q_side.source == "truth"
             else estimate_side(q_side, [(i, paths[i]) for i in query_ids], 1, print))
    found = query_poses(q_side, q_est, truths, query_ids)
    wanted = set(HALVES[which]) if which in HALVES else set(archive_ids)
    rows = [q for q, (i, p) in enumerate(zip(query_ids, found, strict=True))
            if p is not None and i in wanted]
    asked = np.stack([found[q] for q in rows])
    asked_m = mirror_keypoints(asked)
    box = to_vectors(archive)
    torso, usable = torso_vectors_where_possible(archive)
    cos = cosine_distance(to_vectors(asked), box)
    cos_m = cosine_distance(to_vectors(asked_m), box)
    first = np.minimum(cos, cos_m)
    first[:, ~usable] = np.inf
    if which == "archive":  # leave the photo itself out
        row_of = {p: r for r, p in enumerate(present)}
        for j, q in enumerate(rows):
            if query_ids[q] in row_of:
                first[j, row_of[query_ids[q]]] = np.inf
    t_q, has_torso = torso_vectors_where_possible(asked)
    t_qm, _ = torso_vectors_where_possible(asked_m)
    n_q = len(rows)
    features = np.zeros((n_q, c, len(FEATURE_NAMES)))
    mask = np.zeros((n_q, c), bool)
    chosen = {n: np.full((n_q, c), np.nan) for n in JUDGES}
    for j, q in enumerate(rows):
        cand = np.argsort(first[j], kind="stable")[:c]
        cand = cand[np.isfinite(first[j, cand])]
        if has_torso[j]:
            plain = weighted_distance(t_q[j], torso[cand])[0]
            flip = weighted_distance(t_qm[j], torso[cand])[0]
            flipped = flip < plain
            order = np.lexsort((cand, first[j, cand], np.where(flipped, flip, plain)))
            cand, flipped = cand[order], flipped[order]
            features[j, : len(cand)] = pair_features(
                np.where(flipped[:, None], t_qm[j], t_q[j]),
                np.where(flipped[:, None, None], asked_m[j], asked[j]),
                torso[cand], archive[cand], first[j, cand])
        else:
            flipped = cos_m[j, cand] < cos[j, cand]
        mask[j, : len(cand)] = True
        cols = to_column[cand]
        for name, judge in JUDGES.items():
            values = np.asarray(scores[name][q, cols], np.float64).copy()
            if flipped.any():
                values[flipped] = judge(query_truths[q],
                                        mirror_keypoints(archive_truths[cols[flipped]]))
            chosen[name][j, : len(cand)] = values
    return Queries(np.array([query_ids[q] for q in rows]), features, mask, has_torso.copy(),
                   chosen, {n: random[n][rows] for n in JUDGES},
                   {n: oracle[n][rows] for n in JUDGES})


def picks(model: LinearOrder, queries: Queries, columns: np.ndarray) -> np.ndarray:
    """Per query the candidate the model ranks first (ties: likeness's order)."""
    s = np.where(queries.mask, model.scores(queries.features[..., columns]), -np.inf)
    chosen = np.argmax(s, axis=1)
    return np.where(queries.reorder, chosen, 0)


def fit(train: list[Queries], columns: np.ndarray, reg: float, temperature: float
        ) -> LinearOrder:
    features = np.concatenate([t.features[t.reorder][..., columns] for t in train])
    mask = np.concatenate([t.mask[t.reorder] for t in train])
    gains = np.concatenate([t.gains()[t.reorder] for t in train])
    return fit_linear_order(features, mask, softmax_targets(gains, mask, temperature), reg)


def line(label: str, queries: Queries, chosen: np.ndarray,
         base: dict[str, np.ndarray] | None = None) -> tuple[str, dict[str, float]]:
    """The gap closed by the picks, and the paired difference from `base` (the same
    queries' likeness picks; by default position 0, likeness's own over these C)."""
    base = base if base is not None else queries.picked(np.zeros(len(chosen), np.int64))
    mine = queries.picked(chosen)
    parts, diffs = [], {}
    for n in JUDGES:
        d, low, high = paired_gap_difference(queries.random[n], queries.oracle[n], base[n],
                                             mine[n])
        diffs[n] = d
        parts.append(f"{n} {gap_closed(queries.random[n], queries.oracle[n], mine[n]):.3f} "
                     f"({d:+.3f} [{low:+.3f}, {high:+.3f}])")
    return f"{label:48s} " + "  ".join(parts), diffs


def cv(args) -> None:
    sizes = [int(c) for c in args.sizes.split(",")]
    tuning = {c: load(args.query, "tuning", c) for c in sorted({10, *sizes})}
    archive = {c: load(args.query, "archive", c) for c in sizes}
    # likeness as the product has it (C = 10) is the baseline for every C
    likeness = tuning[10].picked(np.zeros(len(tuning[10].photos), np.int64))
    for c in sizes:
        assert np.array_equal(tuning[c].photos, tuning[10].photos)
        print(f"C={c}: {len(tuning[c].photos)} tuning queries, {len(archive[c].photos)} "
              f"archive queries", flush=True)
        print(line("likeness (tuning)", tuning[c], np.zeros(len(tuning[c].photos), np.int64))[0])
        best = tuning[c].gains()
        oracle_pick = np.where(tuning[c].mask, np.nan_to_num(best, nan=-np.inf), -np.inf)
        print(line(f"best of {c} by the judges' mean", tuning[c],
                   np.argmax(oracle_pick, axis=1))[0], flush=True)
    results = []
    for c, fs, reg, temp, data in itertools.product(
            sizes, args.sets.split(","), (1e-4, 1e-2, 1e-1), (0.0, 0.05, 0.2),
            ("tuning", "tuning+archive")):
        t = tuning[c]
        columns = feature_columns(fs)
        folds = t.photos % args.folds
        out = np.zeros(len(t.photos), np.int64)
        for k in range(args.folds):
            train = [t.subset(folds != k)] + ([archive[c]] if "archive" in data else [])
            model = fit(train, columns, reg, temp)
            held = folds == k
            out[held] = picks(model, t.subset(held), columns)
        text, diffs = line(f"C={c} {fs} reg={reg:g} T={temp:g} {data}", t, out, likeness)
        results.append((min(diffs.values()), text))
        print(text, flush=True)
    print("best by the smaller of the two judges' differences:")
    for _, text in sorted(results, reverse=True)[:8]:
        print(text)


def freeze(args) -> None:
    columns = feature_columns(args.features)
    train = [load(args.query, "tuning", args.candidates)]
    if "archive" in args.data:
        train.append(load(args.query, "archive", args.candidates))
    model = fit(train, columns, args.reg, args.temperature)
    np.savez(args.out, weights=model.weights, mean=model.mean, scale=model.scale,
             columns=columns, candidates=args.candidates)
    print(f"frozen: {args.features} reg={args.reg:g} T={args.temperature:g} {args.data} "
          f"C={args.candidates} -> {args.out}")
    for name, w in zip(np.array(FEATURE_NAMES)[columns], model.weights, strict=True):
        print(f"  {name:20s} {w:+.4f}")


def report(args) -> None:
    with np.load(args.weights) as stored:
        model = LinearOrder(stored["weights"], stored["mean"], stored["scale"])
        columns, c = stored["columns"], int(stored["candidates"])
    q = load(args.query, args.half, c)
    print(f"{args.query}, {args.half}: {len(q.photos)} queries, C={c}")
    print(line("likeness", q, np.zeros(len(q.photos), np.int64))[0])
    print(line("learned order (frozen)", q, picks(model, q, columns))[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("cv", "freeze", "report"))
    parser.add_argument("--query", default="single:lightning:crop")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sizes", default="10,20", help="cv: the candidate counts C tried")
    parser.add_argument("--sets", default=",".join(FEATURE_SETS), help="cv: feature sets")
    parser.add_argument("--features", default="all", choices=list(FEATURE_SETS))
    parser.add_argument("--reg", type=float, default=1e-2)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--data", default="tuning+archive")
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--out", default="learned-order.npz")
    parser.add_argument("--weights", default="learned-order.npz")
    parser.add_argument("--half", default="report", choices=list(HALVES))
    args = parser.parse_args()
    started = time.perf_counter()
    {"cv": cv, "freeze": freeze, "report": report}[args.command](args)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
