"""A second stage learned from ground truth: a linear score of (query, candidate) features
that orders likeness's candidates, trained with a listwise (softmax cross-entropy) loss.

Features (FEATURE_NAMES), per candidate, each taken the way round, plain or mirrored query,
that the torso distance picks (as likeness shows it):
- stage one's cosine distance and rank, the torso distance and rank (ranks as a share of C);
- per body group (GROUPS), the query-weighted mean L1 gap between the two torso vectors'
  joints (body spreads; 0 where the query has none of the group);
- per body group, the candidate's mean keypoint score;
- per body group, that group's gap times the query's mean score on it ("sure gap": lets the
  weight of a gap depend on how sure the query is of it, which a linear score cannot do
  with the query's scores alone, the same for all its candidates);
- per body segment (keypoints.BODY_SEGMENTS), the angle (radians, 0..pi) between the two
  segments' directions where both have the segment, else 0;
- the joint-position judge (quality.judges) applied to the two ESTIMATED poses, keypoints
  at or above MIN_SCORE counting as annotated ("aligned"), and whether it could not be
  measured ("aligned missing"; "aligned" is then 0).
All finite for any pose that has a torso vector (the only ones likeness re-orders).

The model: score = w . standardised features; per query the softmax over its candidates;
the loss the cross-entropy against a target distribution over them (e.g. a softmax of the
judges' gap-normalised scores), plus an L2 pull of w to 0. Tried on LSPET and not kept: no
gain on the report queries (scripts/tune_rerank.py; docs/match-quality.md, "Tried, not kept:
a second stage learned from ground truth").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.keypoints import BODY_SEGMENTS
from movemirror.quality.judges import joint_position
from movemirror.quality.limb_angles import segment_directions
from movemirror.vectors import CONFIDENCES, MIN_SCORE, XY

GROUPS: dict[str, tuple[int, ...]] = {
    "shoulders": (5, 6), "elbows": (7, 8), "wrists": (9, 10),
    "hips": (11, 12), "knees": (13, 14), "ankles": (15, 16),
}
FEATURE_NAMES: tuple[str, ...] = (
    ("cosine", "cosine rank", "torso", "torso rank")
    + tuple(f"gap {g}" for g in GROUPS)
    + tuple(f"score {g}" for g in GROUPS)
    + tuple(f"sure gap {g}" for g in GROUPS)
    + tuple(f"angle {a}-{b}" for a, b in BODY_SEGMENTS)
    + ("aligned", "aligned missing"))
_EPS = 1e-12


def pair_features(query_torso: np.ndarray, query_pose: np.ndarray, candidate_torso: np.ndarray,
                  candidate_poses: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """One query's features against its C candidates (C, F), the query already the way
    round each candidate is compared: query_torso (C, 52) and query_pose (C, 17, 3) per
    candidate (the plain or mirrored query's), the candidates' torso vectors (C, 52) and
    poses (C, 17, 3), stage one's cosine distances (C,)."""
    q_xy = query_torso[:, XY].astype(np.float64).reshape(-1, 17, 2)
    a_xy = candidate_torso[:, XY].astype(np.float64).reshape(-1, 17, 2)
    weights = query_torso[:, CONFIDENCES].astype(np.float64)
    gaps = np.abs(q_xy - a_xy).sum(axis=2)  # (C, 17)
    torso = (gaps * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), _EPS)
    count = len(cosine)
    cosine = np.asarray(cosine, np.float64)
    columns = [cosine, _ranks(cosine) / max(count, 1), torso, _ranks(torso) / max(count, 1)]
    group_gaps = []
    for joints in GROUPS.values():
        w = weights[:, joints]
        group_gaps.append((gaps[:, joints] * w).sum(axis=1) / np.maximum(w.sum(axis=1), _EPS))
    columns += group_gaps
    scores = np.asarray(candidate_poses, np.float64)[..., 2]
    columns += [scores[:, joints].mean(axis=1) for joints in GROUPS.values()]
    q_scores = np.asarray(query_pose, np.float64)[..., 2]
    columns += [gap * q_scores[:, joints].mean(axis=1)
                for gap, joints in zip(group_gaps, GROUPS.values(), strict=True)]
    q_dir, q_w = segment_directions(query_pose)
    a_dir, a_w = segment_directions(candidate_poses)
    angle = np.abs(q_dir - a_dir) % (2 * np.pi)
    angle = np.minimum(angle, 2 * np.pi - angle) * ((q_w > 0) & (a_w > 0))
    seen = np.array(query_pose, np.float64)
    seen[..., 2] = seen[..., 2] >= MIN_SCORE
    other = np.array(candidate_poses, np.float64)
    other[..., 2] = other[..., 2] >= MIN_SCORE
    aligned = np.array([joint_position(q, c[None])[0] for q, c in zip(seen, other, strict=True)])
    missing = ~np.isfinite(aligned)
    features = np.column_stack(columns + [angle, np.where(missing, 0.0, aligned), missing])
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)


def _ranks(values: np.ndarray) -> np.ndarray:
    """0-based rank of each value, ties by position."""
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    return ranks


def softmax_targets(gains: np.ndarray, mask: np.ndarray, temperature: float) -> np.ndarray:
    """Per query (row) a distribution over its candidates: softmax(gain / temperature) over
    the masked-in candidates with a finite gain (0 temperature: the best, shared on ties).
    A row with none gets all zeros (it then adds nothing to the loss)."""
    gains = np.where(mask & np.isfinite(gains), gains, -np.inf)
    best = gains.max(axis=1, keepdims=True)
    known = np.isfinite(best)
    safe_best = np.where(known, best, 0.0)
    if temperature <= 0:
        out = (gains == safe_best) & known
    else:
        out = np.exp((gains - safe_best) / temperature)
    out = np.where(np.isfinite(gains), out, 0.0).astype(np.float64)
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def listwise_loss(weights: np.ndarray, features: np.ndarray, mask: np.ndarray,
                  targets: np.ndarray, regularisation: float) -> tuple[float, np.ndarray]:
    """Mean over queries of the cross-entropy between targets (Q, C) and the softmax of
    features (Q, C, F) @ weights (F,) over the masked-in candidates, plus regularisation
    * |weights|^2; and its gradient (F,)."""
    logits = np.where(mask, features @ weights, -np.inf)
    top = logits.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    shifted = np.where(mask, logits - top, 0.0)
    log_norm = np.log(np.maximum((np.exp(shifted) * mask).sum(axis=1, keepdims=True), _EPS))
    log_p = np.where(mask, shifted - log_norm, 0.0)
    n = max(len(features), 1)
    loss = -float((targets * log_p).sum()) / n + regularisation * float(weights @ weights)
    used = targets.sum(axis=1, keepdims=True)  # 1, or 0 for a query without a target
    d_logits = (np.exp(log_p) * mask * used - targets) / n
    grad = np.einsum("qc,qcf->f", d_logits, features) + 2.0 * regularisation * weights
    return loss, grad


@dataclass(frozen=True)
class LinearOrder:
    """score = ((features - mean) / scale) @ weights; higher first."""

    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights


def fit_linear_order(features: np.ndarray, mask: np.ndarray, targets: np.ndarray,
                     regularisation: float = 1e-3, iterations: int = 500) -> LinearOrder:
    """A LinearOrder from per-query candidates' features (Q, C, F), which are present
    (Q, C) and target distributions (Q, C): features standardised over the present
    candidates, then listwise_loss minimised by L-BFGS from 0."""
    from scipy.optimize import minimize

    present = features[mask]
    if not len(present):
        raise ValueError("no candidate to learn from")
    mean = present.mean(axis=0)
    scale = present.std(axis=0)
    scale = np.where(scale > _EPS, scale, 1.0)
    standard = np.where(mask[..., None], (features - mean) / scale, 0.0)
    found = minimize(listwise_loss, np.zeros(features.shape[2]),
                     args=(standard, mask, targets, regularisation), jac=True,
                     method="L-BFGS-B", options={"maxiter": iterations})
    return LinearOrder(found.x, mean, scale)
