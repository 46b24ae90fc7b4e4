"""Move Mirror's distances between pose vectors (see movemirror.vectors for the layout), the
"torso" distance (movemirror.torso_vectors), and the registry naming them.

Each takes a query vector (52,) or batch (Q, 52) and bank vectors (N, 52) and returns (Q, N);
each metric says how poses become its vectors (Metric.vectorise).
pair_distance computes the same for one pair in compiled code, for the indexes' inner loops.
A new distance is added here: its function, its branch of pair_distance, and its entry in
VALID_METRICS, from which everything that offers a choice of metric (the bank, the indexes,
the server, the CLI) takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from movemirror.errors import UnknownMetricError
from movemirror.torso_vectors import to_torso_vectors, torso_problems
from movemirror.vectors import (
    CONFIDENCE_SUM,
    CONFIDENCES,
    XY,
    XY_DIM,
    pose_problems,
    to_vectors,
)


def _batch(vectors) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    return array[None] if array.ndim == 1 else array


def _unit(xy: np.ndarray) -> np.ndarray:
    # Stored vectors are float32, normalised only to about 1e-7; that much error in cos
    # becomes 1e-4 in sqrt(2 (1 - cos)) for identical poses, so renormalise in float64.
    xy = xy.astype(np.float64)
    return xy / np.linalg.norm(xy, axis=1, keepdims=True)


def cosine_distance(queries, bank) -> np.ndarray:
    """sqrt(2 * (1 - cos)) on the normalised x/y part: the chord between unit vectors.

    The cosine is clipped to [-1, 1] first; rounding can push it just past 1, and the
    unclipped formula then takes the square root of a negative number.
    """
    q = _unit(_batch(queries)[:, XY])
    b = _unit(_batch(bank)[:, XY])
    cos = np.clip(q @ b.T, -1.0, 1.0)
    return np.sqrt(2.0 * (1.0 - cos))


def cosine_distance_at(queries, bank, indices) -> np.ndarray:
    """cosine_distance for chosen pairs only: queries (Q, 52), indices (Q, k) into bank.

    Computed as the chord |q - b| between the unit vectors, which is exactly zero for
    identical poses (2 - 2cos in float32 leaves about 5e-4 there).
    """
    q = _batch(queries)[:, None, XY]
    b = np.asarray(bank)[indices][..., XY]
    return np.sqrt(np.square(q - b).sum(axis=2, dtype=np.float32))


def weighted_distance(queries, bank) -> np.ndarray:
    """(1 / sum(Fc)) * sum_k Fc_k * |Fxy_k - Gxy_k|, weighted by the query's confidences.

    Each keypoint's confidence weighs both its x and its y term. Not symmetric: only the
    query's (F's) confidences count.
    """
    q = _batch(queries).astype(np.float64)
    b = _batch(bank).astype(np.float64)
    weights = np.repeat(q[:, CONFIDENCES], 2, axis=1) / q[:, CONFIDENCE_SUM, None]
    diffs = np.abs(q[:, None, XY] - b[None, :, XY])
    return np.einsum("qnd,qd->qn", diffs, weights)


def torso_distance(queries, bank) -> np.ndarray:
    """sum_k w_k (|dx_k| + |dy_k|) / sum_k w_k on torso vectors (movemirror.torso_vectors): the
    body's joints about the torso, weighted by the query's scores (the face weighs nothing).

    The weighted distance's formula in the torso vectors' space, so the indexes search it
    with the same code and bounds. Not symmetric: only the query's weights count.
    """
    return weighted_distance(queries, bank)


# Which branch of pair_distance computes a metric (numba code cannot look up a function).
COSINE_KERNEL, WEIGHTED_KERNEL = 0, 1


@njit(cache=True)
def pair_distance(a, b, kernel):
    """The distance from vector a (the query) to vector b, in float64, as the functions above
    give it: the chord between the unit x/y parts, or the weighted L1 by a's confidences.

    Numba caches the indexes that call this with their own files only: after changing it,
    delete their __pycache__ (or touch index/boxtree.py and index/vptree.py).
    """
    total = 0.0
    for d in range(XY_DIM):
        diff = np.float64(a[d]) - np.float64(b[d])
        if kernel == WEIGHTED_KERNEL:
            total += np.float64(a[XY_DIM + d // 2]) / np.float64(a[CONFIDENCE_SUM]) * abs(diff)
        else:
            total += diff * diff
    return total if kernel == WEIGHTED_KERNEL else np.sqrt(total)


@dataclass(frozen=True)
class Metric:
    """A distance and what the indexes may assume of it."""

    name: str
    function: Callable[..., np.ndarray]  # (queries, bank) -> (Q, N) distances
    kernel: int  # its branch of pair_distance
    description: str  # a few words, for help texts and the API's schema
    symmetric: bool  # d(a, b) == d(b, a)
    triangle: bool  # obeys the triangle inequality, so metric trees are exact on it
    # Poses (N, 17, 3) in pixels -> this metric's vectors (N, 52); PoseError on a pose that
    # has none (problems says which and why). Metrics with to_vectors share the bank's.
    vectorise: Callable[..., np.ndarray] = to_vectors
    problems: Callable[..., list] = pose_problems


VALID_METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("cosine", cosine_distance, COSINE_KERNEL, "cosine of the normalised poses",
           symmetric=True, triangle=True),
    Metric("weighted", weighted_distance, WEIGHTED_KERNEL, "confidence-weighted L1",
           symmetric=False, triangle=False),
    Metric("torso", torso_distance, WEIGHTED_KERNEL,
           "confidence-weighted L1 of the body's joints about the torso",
           symmetric=False, triangle=False, vectorise=to_torso_vectors, problems=torso_problems),
)}
METRICS = tuple(VALID_METRICS)
# The metrics measured on the bank's stored (bounding-box) vectors; the others have vectors of
# their own, which only PoseBank.search builds.
BOX_VECTOR_METRICS = tuple(name for name, spec in VALID_METRICS.items()
                           if spec.vectorise is to_vectors)
# Besides the distances, searches take "likeness": not a distance of its own but a search
# order, cosine's exact best either way round among the poses that have a torso, each block
# of 10 re-ordered by "torso" (movemirror.quality.likeness). Its Metric here is its first stage's
# distance, vectors and refusals: a query without a torso keeps cosine's order.
LIKENESS = "likeness"
LIKENESS_METRIC = Metric(
    LIKENESS, cosine_distance, COSINE_KERNEL,
    "cosine's best either way round, each 10 re-ordered by the torso distance (the default; "
    "a pose with no confident shoulder or hip keeps cosine's order and distances)",
    symmetric=False, triangle=False)
SEARCH_METRICS = (*METRICS, LIKENESS)
# "torso" alone scored about 0.01 above cosine under both judges of `movemirror bench quality` on
# its held-out queries: within their noise. "likeness" won under both (docs/match-quality.md)
# at under 2x cosine's search time.
DEFAULT_METRIC = LIKENESS


def check_metric(name: str) -> Metric:
    """The registered metric of that name; raises UnknownMetricError listing the choices."""
    try:
        return VALID_METRICS[name]
    except (KeyError, TypeError):
        raise UnknownMetricError(
            f"unknown metric {name!r}; choose one of {', '.join(METRICS)}") from None


def search_metric(name: str) -> Metric:
    """A search's metric (SEARCH_METRICS): a registered distance, or LIKENESS_METRIC; raises
    UnknownMetricError listing the choices."""
    if name == LIKENESS:
        return LIKENESS_METRIC
    try:
        return VALID_METRICS[name]
    except (KeyError, TypeError):
        raise UnknownMetricError(
            f"unknown metric {name!r}; choose one of {', '.join(SEARCH_METRICS)}") from None


def distance(queries, bank, metric: str) -> np.ndarray:
    return check_metric(metric).function(queries, bank)
