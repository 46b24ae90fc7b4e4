"""Grouping points with numpy only: k-means (k-means++ start) and a group's medoid."""

from __future__ import annotations

import numpy as np

KMEANS_ITERATIONS = 50
KMEANS_STARTS = 8  # one k-means++ start can settle in a split with far more spread


def kmeans(points, k: int, seed: int = 0) -> np.ndarray:
    """Labels 0..k'-1 (k' <= k, empty groups dropped and renumbered) for points (N, D): the
    grouping with the least within-group spread of KMEANS_STARTS k-means++ starts."""
    points = np.asarray(points, np.float64)
    n = len(points)
    if n == 0:
        return np.empty(0, np.int64)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    best, least = _kmeans_from_one_start(points, k, rng)
    for _ in range(KMEANS_STARTS - 1):
        labels, spread = _kmeans_from_one_start(points, k, rng)
        if spread < least:
            best, least = labels, spread
    _, labels = np.unique(best, return_inverse=True)
    return labels


def _kmeans_from_one_start(points: np.ndarray, k: int,
                           rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """(labels, the sum of squared distances to their group's centre)."""
    n = len(points)
    centres = [points[rng.integers(n)]]
    nearest = np.square(points - centres[0]).sum(axis=1)
    for _ in range(1, k):
        if nearest.sum() <= 0:
            break
        centres.append(points[rng.choice(n, p=nearest / nearest.sum())])
        nearest = np.minimum(nearest, np.square(points - centres[-1]).sum(axis=1))
    centres_array = np.array(centres)
    labels = np.full(n, -1)
    for _ in range(KMEANS_ITERATIONS):
        new = _squared_distances(points, centres_array).argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(centres_array)):
            members = points[labels == j]
            if len(members):
                centres_array[j] = members.mean(axis=0)
    spread = float(_squared_distances(points, centres_array)[np.arange(n), labels].sum())
    return labels, spread


MEDOID_SAMPLE = 1000  # past this many points, the medoid is sought among a sample


def medoid(points, sample: int = MEDOID_SAMPLE, seed: int = 0) -> int:
    """The row of points (N, D) with the least total distance to the others; for more than
    `sample` points, the best of a sample by its total distance to that sample."""
    points = np.asarray(points, np.float64)
    rows = np.arange(len(points))
    if len(points) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(points), sample, replace=False))
    chosen = points[rows]
    return int(rows[np.sqrt(_squared_distances(chosen, chosen)).sum(axis=1).argmin()])


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(axis=1)[:, None] - 2 * a @ b.T + (b * b).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)
