"""Training-free changes to likeness's second stage, tried on LSPET's TUNING queries
(docs/match-quality.md, "Tried, not kept: query expansion, consensus, confidences, limb
angles"). Reads the poses `movemirror bench quality` cached (run it first with the same
query side) and prints, per variant, the top match's gap closed under both judges and its
paired bootstrap 95% difference from likeness on the same queries.

Every variant starts from likeness's own candidates: cosine's exact top C either way round
among the archive poses with a torso (C = 10 is likeness's), then:
- qe: query expansion in the torso vectors' space: the query's vector averaged, joint by
  joint and weighted by the confidences, with its K best candidates (each taken the way
  round it matched, weighted exp(-alpha d / median d), beta in all against the query's 1),
  the candidates re-ordered by the torso distance to that;
- box: the same on the box vectors (unit x/y), then cosine's top 10 searched again with it;
- consensus: each of the best Kc scored by its torso distance plus lambda times its mean
  distance to the other Kc (neighbourhood density);
- confidence: the query's weights raised to a power, or cut below a floor;
- angles: the torso distance plus mu times the limb-angle distance (quality.limb_angles);
- checks: how far (torso vectors, weighted L1 over the true pose's annotated joints) the
  true pose is from the query pose, its top match, its top five and the expanded query; and
  the best of the C candidates by each judge (what a perfect second stage would close).

    .venv/bin/python scripts/tune_likeness.py [--query single:lightning:crop]
        [--half tuning] [--variants qe,box,consensus,confidence,angles,checks]
"""

from __future__ import annotations

import argparse

import numpy as np

from movemirror.bench.quality import HALVES
from movemirror.bench.quality_judged import JUDGES, judge_all
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.bench.quality_poses import Side, estimate_side
from movemirror.bench.quality_side_poses import archive_poses, query_poses, truth_pose
from movemirror.datasets import dataset_dir
from movemirror.datasets.lspet import load_lspet
from movemirror.distances import cosine_distance, weighted_distance
from movemirror.keypoints import MIRROR_PERMUTATION, mirror_keypoints
from movemirror.quality.gap import gap_closed, paired_gap_difference
from movemirror.quality.limb_angles import limb_angle_distance
from movemirror.torso_vectors import torso_vectors_where_possible
from movemirror.vectors import CONFIDENCE_SUM, CONFIDENCES, XY, to_vectors


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def mirror_torso(v: np.ndarray) -> np.ndarray:
    """A torso vector's mirror image (its centre and spread do not change)."""
    out = v.copy()
    xy = v[XY].reshape(17, 2)[list(MIRROR_PERMUTATION)].copy()
    xy[:, 0] *= -1
    out[XY] = xy.reshape(34)
    out[CONFIDENCES] = v[CONFIDENCES][list(MIRROR_PERMUTATION)]
    return out


def weighted_l1(q: np.ndarray, bank: np.ndarray) -> np.ndarray:
    w = np.repeat(q[CONFIDENCES], 2) / q[CONFIDENCES].sum()
    return np.abs(bank[:, XY] - q[XY]) @ w


class Setting:
    """The archive and one half's queries (those the page answers, with a torso), as the
    bench builds them, with every representation the variants need."""

    def __init__(self, query_side: str, half: str):
        samples = load_lspet(dataset_dir("lspet"), limit=6000, start=0)
        truths = {int(s.path.stem[2:]) - 1: s.joints for s in samples}
        paths = {int(s.path.stem[2:]) - 1: s.path for s in samples}
        archive_ids = [i for i in range(4000) if i in truths]
        query_ids = [i for i in range(4000, 6000) if i in truths]
        self.archive_truths = np.stack([truth_pose(truths[i]) for i in archive_ids])
        self.query_truths = np.stack([truth_pose(truths[i]) for i in query_ids])
        self.judged = judge_all(self.query_truths, self.archive_truths)
        a_side, q_side = Side.parse(ARCHIVE_SIDE), Side.parse(query_side)
        a_est = estimate_side(a_side, [(i, paths[i]) for i in archive_ids], 1, print)
        q_est = estimate_side(q_side, [(i, paths[i]) for i in query_ids], 1, print)
        present, self.archive = archive_poses(a_side, a_est, truths, archive_ids)
        column = {p: c for c, p in enumerate(archive_ids)}
        self.to_column = np.array([column[p] for p in present])
        found = query_poses(q_side, q_est, truths, query_ids)
        self.rows = [q for q, (i, p) in enumerate(zip(query_ids, found, strict=True))
                     if p is not None and i in HALVES[half]]
        self.asked = np.stack([found[q] for q in self.rows])
        # A query without a torso keeps stage one's order (as likeness answers it).
        self.torso_query, self.has_torso = torso_vectors_where_possible(self.asked)
        self.torso_query_m, _ = torso_vectors_where_possible(mirror_keypoints(self.asked))
        self.torso, usable = torso_vectors_where_possible(self.archive)
        self.torso_m, _ = torso_vectors_where_possible(mirror_keypoints(self.archive))
        box, box_m = to_vectors(self.archive), to_vectors(mirror_keypoints(self.archive))
        self.unit, self.unit_m = unit(box[:, XY].astype(float)), unit(box_m[:, XY].astype(float))
        q_box = to_vectors(self.asked)
        q_box_m = to_vectors(mirror_keypoints(self.asked))
        self.unit_q, self.unit_qm = unit(q_box[:, XY].astype(float)), unit(q_box_m[:, XY]
                                                                           .astype(float))
        self.usable = usable
        self.cos = cosine_distance(q_box, box)
        self.cos_m = cosine_distance(q_box_m, box)
        self.cos[:, ~usable] = np.inf
        self.cos_m[:, ~usable] = np.inf
        with np.errstate(invalid="ignore"):  # rows of queries without a torso: unused
            self.td = weighted_distance(self.torso_query, self.torso)
            self.td_m = weighted_distance(self.torso_query_m, self.torso)
        self._mirrored_scores: dict = {}
        self.baseline = self.scores(*self.search())

    def candidates(self, c: int) -> np.ndarray:
        return np.argsort(np.minimum(self.cos, self.cos_m), axis=1, kind="stable")[:, :c]

    def search(self, c: int = 10, order_by=None) -> tuple[np.ndarray, np.ndarray]:
        """Per query its top match (archive row) and whether it is shown mirrored: the
        candidates ordered by order_by(j, candidates, torso distance, mirrored, stage one)
        -> (scores, mirrored), by default the torso distance (likeness)."""
        rows = np.empty(len(self.rows), np.int64)
        flags = np.empty(len(self.rows), bool)
        for j, cand in enumerate(self.candidates(c)):
            if not self.has_torso[j]:
                rows[j], flags[j] = cand[0], self.cos_m[j, cand[0]] < self.cos[j, cand[0]]
                continue
            flipped = self.td_m[j, cand] < self.td[j, cand]
            d = np.where(flipped, self.td_m[j, cand], self.td[j, cand])
            first = np.minimum(self.cos[j, cand], self.cos_m[j, cand])
            if order_by is not None:
                cand, d, flipped, first = order_by(j, cand, d, flipped, first)
            best = np.lexsort((cand, first, d))[0]
            rows[j], flags[j] = cand[best], flipped[best]
        return rows, flags

    def scores(self, rows: np.ndarray, flags: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for name, judge in JUDGES.items():
            values = np.empty(len(self.rows))
            for j, (q, r, flip) in enumerate(zip(self.rows, rows, flags, strict=True)):
                a = self.to_column[r]
                if flip:
                    key = (name, q, a)
                    if key not in self._mirrored_scores:
                        self._mirrored_scores[key] = judge(
                            self.query_truths[q], mirror_keypoints(self.archive_truths[a]))[0]
                    values[j] = self._mirrored_scores[key]
                else:
                    values[j] = self.judged.scores[name][q, a]
            out[name] = values
        return out

    def line(self, label: str, rows: np.ndarray, flags: np.ndarray) -> str:
        scores = self.scores(rows, flags)
        parts = []
        for name in JUDGES:
            random = self.judged.random[name][self.rows]
            oracle = self.judged.oracle[name][self.rows]
            d, low, high = paired_gap_difference(random, oracle, self.baseline[name],
                                                 scores[name])
            parts.append(f"{name} {gap_closed(random, oracle, scores[name]):.3f} "
                         f"({d:+.3f} [{low:+.3f}, {high:+.3f}])")
        return f"{label:42s} " + "  ".join(parts)


def torso_expansion(s: Setting, k: int, alpha: float, beta: float):
    def order_by(j, cand, d, flipped, first):
        top = np.lexsort((cand, first, d))[:k]
        neighbours = np.where(flipped[top, None], s.torso_m[cand[top]], s.torso[cand[top]])
        w = np.exp(-alpha * d[top] / max(np.median(d), 1e-9))
        w = beta * w / w.sum()
        q = s.torso_query[j]
        c_q, c_n = q[CONFIDENCES], neighbours[:, CONFIDENCES]
        total = (q[XY].reshape(17, 2) * c_q[:, None]
                 + np.einsum("i,ij,ijk->jk", w, c_n, neighbours[:, XY].reshape(-1, 17, 2)))
        weight = c_q + (w[:, None] * c_n).sum(axis=0)
        expanded = q.copy()
        expanded[XY] = (total / np.maximum(weight, 1e-9)[:, None]).reshape(34)
        plain = weighted_l1(expanded, s.torso[cand])
        mirrored = weighted_l1(mirror_torso(expanded), s.torso[cand])
        return cand, np.minimum(plain, mirrored), mirrored < plain, first

    return order_by


def box_expansion(s: Setting, k: int, beta: float):
    def order_by(j, cand, d, flipped, first):
        top = np.lexsort((cand, first, d))[:k]
        rows, flip = cand[top], flipped[top, None]
        plain = unit(s.unit_q[j] + beta * np.where(flip, s.unit_m[rows], s.unit[rows]).mean(0))
        other = unit(s.unit_qm[j] + beta * np.where(flip, s.unit[rows], s.unit_m[rows]).mean(0))
        chord = np.minimum(np.sqrt(np.clip(2 - 2 * (s.unit @ plain), 0, None)),
                           np.sqrt(np.clip(2 - 2 * (s.unit @ other), 0, None)))
        chord[~s.usable] = np.inf
        cand = np.argsort(chord, kind="stable")[:10]
        flipped = s.td_m[j, cand] < s.td[j, cand]
        return cand, np.where(flipped, s.td_m[j, cand], s.td[j, cand]), flipped, chord[cand]

    return order_by


def consensus(s: Setting, kc: int, lam: float):
    def order_by(j, cand, d, flipped, first):
        top = np.lexsort((cand, first, d))[:kc]
        oriented = np.where(flipped[top, None], s.torso_m[cand[top]], s.torso[cand[top]])
        density = np.array([weighted_l1(v, oriented).sum() / (len(top) - 1) for v in oriented])
        return cand[top], d[top] + lam * density, flipped[top], first[top]

    return order_by


def confidence(s: Setting, power: float, floor: float):
    td = []
    for vectors in (s.torso_query, s.torso_query_m):
        v = vectors.copy()
        c = v[:, CONFIDENCES].astype(float)
        c = np.where(c >= floor, c ** power, 0.0)
        v[:, CONFIDENCES], v[:, CONFIDENCE_SUM] = c, c.sum(axis=1)
        with np.errstate(invalid="ignore"):
            td.append(weighted_distance(v, s.torso))

    def order_by(j, cand, d, flipped, first):
        plain, mirrored = td[0][j, cand], td[1][j, cand]
        ok = np.isfinite(plain) & np.isfinite(mirrored)
        if not ok.all():  # every weight cut: likeness's order
            return cand, d, flipped, first
        return cand, np.minimum(plain, mirrored), mirrored < plain, first

    return order_by


def angles(s: Setting, mu: float):
    query, query_m = s.asked, mirror_keypoints(s.asked)

    def order_by(j, cand, d, flipped, first):
        plain = s.td[j, cand] + mu * limb_angle_distance(query[j], s.archive[cand])[0]
        mirrored = s.td_m[j, cand] + mu * limb_angle_distance(query_m[j], s.archive[cand])[0]
        return cand, np.minimum(plain, mirrored), mirrored < plain, first

    return order_by


def checks(s: Setting) -> None:
    truth, has = torso_vectors_where_possible(s.query_truths[s.rows])
    found: dict[str, list[float]] = {"query pose": [], "top match": [], "top five": [],
                                     **{f"expanded, K {k}": [] for k in (3, 5, 10)}}
    for j, cand in enumerate(s.candidates(10)):
        if not (s.has_torso[j] and has[j]):
            continue
        flipped = s.td_m[j, cand] < s.td[j, cand]
        order = np.lexsort((cand, np.where(flipped, s.td_m[j, cand], s.td[j, cand])))
        near = np.stack([mirror_torso(s.torso[c]) if f else s.torso[c]
                         for c, f in zip(cand[order], flipped[order], strict=True)])
        q = s.torso_query[j]
        found["query pose"].append(weighted_l1(truth[j], q[None])[0])
        found["top match"].append(weighted_l1(truth[j], near[:1])[0])
        found["top five"].append(weighted_l1(truth[j], near[:5]).mean())
        for k in (3, 5, 10):
            c_q, c_n = q[CONFIDENCES], near[:k, CONFIDENCES]
            total = (q[XY].reshape(17, 2) * c_q[:, None]
                     + np.einsum("ij,ijk->jk", c_n, near[:k, XY].reshape(-1, 17, 2)) / k)
            expanded = q.copy()
            expanded[XY] = (total / np.maximum(c_q + c_n.sum(axis=0) / k, 1e-9)[:, None]
                            ).reshape(34)
            found[f"expanded, K {k}"].append(weighted_l1(truth[j], expanded[None])[0])
    for label, values in found.items():
        print(f"true pose to {label}: mean {np.mean(values):.3f}, median "
              f"{np.median(values):.3f} ({len(values)} queries)")
    for c in (10, 20):
        best = {}
        for name, judge in JUDGES.items():
            values = np.full(len(s.rows), np.nan)
            for j, (q, cand) in enumerate(zip(s.rows, s.candidates(c), strict=True)):
                flipped = s.cos_m[j, cand] < s.cos[j, cand]
                scores = [judge(s.query_truths[q], mirror_keypoints(s.archive_truths[a]))[0]
                          if f else s.judged.scores[name][q, a]
                          for a, f in zip(s.to_column[cand], flipped, strict=True)]
                values[j] = np.nanmin(scores) if np.isfinite(scores).any() else np.nan
            best[name] = gap_closed(s.judged.random[name][s.rows], s.judged.oracle[name][s.rows],
                                    values)
        print(f"best of the {c} candidates by the judge: limb {best['limb']:.3f} joint "
              f"{best['joint']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--query", default="single:lightning:crop")
    parser.add_argument("--half", default="tuning", choices=list(HALVES))
    parser.add_argument("--variants", default="qe,box,consensus,confidence,angles")
    args = parser.parse_args()
    s = Setting(args.query, args.half)
    print(f"{args.query}, {args.half}: {len(s.rows)} queries, archive {len(s.archive)}")
    print(s.line("likeness", *s.search()))
    chosen = args.variants.split(",")
    if "qe" in chosen:
        for c in (10, 20):
            for k in (3, 5, 10):
                for alpha in (0.0, 1.0, 3.0):
                    for beta in (0.5, 1.0, 2.0):
                        print(s.line(f"qe C={c} K={k} alpha={alpha} beta={beta}",
                                     *s.search(c, torso_expansion(s, k, alpha, beta))),
                              flush=True)
    if "box" in chosen:
        for k in (3, 5, 10):
            for beta in (0.5, 1.0, 2.0):
                print(s.line(f"box qe K={k} beta={beta}", *s.search(10, box_expansion(s, k, beta))),
                      flush=True)
    if "consensus" in chosen:
        for c, kc in ((10, 10), (20, 10), (20, 20)):
            for lam in (0.25, 0.5, 1.0):
                print(s.line(f"consensus C={c} Kc={kc} lambda={lam}",
                             *s.search(c, consensus(s, kc, lam))), flush=True)
    if "confidence" in chosen:
        for power, floor in ((0.5, 0), (1.5, 0), (2, 0), (3, 0), (1, 0.3), (1, 0.4), (1, 0.5)):
            print(s.line(f"confidence power={power} floor={floor}",
                         *s.search(10, confidence(s, power, floor))), flush=True)
    if "checks" in chosen:
        checks(s)
    if "angles" in chosen:
        for c in (10, 20):
            for mu in (0.1, 0.2, 0.3, 0.5, 1.0):
                print(s.line(f"angles C={c} mu={mu}", *s.search(c, angles(s, mu))), flush=True)


if __name__ == "__main__":
    main()
