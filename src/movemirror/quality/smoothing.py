"""Steadier query poses from a stream of per-frame poses: the page's one-euro filter (a port
of static/js/one_euro.js, same defaults) and a consensus of the last few frames.

Poses are (17, 3) arrays of x, y (pixels) and score. Both are pure: they take the whole
sequence and give back the smoothed one, frame for frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroOptions:
    """one_euro.js DEFAULT_OPTIONS (for coordinates in frame units, time in seconds)."""

    min_cutoff: float = 1.0
    beta: float = 5.0
    derivate_cutoff: float = 1.0


def _smoothing_factor(elapsed: float, cutoff: float) -> float:
    tau = 1 / (2 * math.pi * cutoff)
    return 1 / (1 + tau / elapsed)


def one_euro(values: Iterable[float], times: Iterable[float],
             options: OneEuroOptions = OneEuroOptions()) -> list[float]:
    """One value filtered over time, as one_euro.js OneEuroFilter.filter does call by call."""
    out: list[float] = []
    value: float | None = None
    derivative = 0.0
    last_time = 0.0
    for x, t in zip(values, times, strict=True):
        if value is None or t <= last_time:
            if value is None:
                value = float(x)
            last_time = t
            out.append(value)
            continue
        elapsed = t - last_time
        raw_derivative = (x - value) / elapsed
        a = _smoothing_factor(elapsed, options.derivate_cutoff)
        derivative = a * raw_derivative + (1 - a) * derivative
        b = _smoothing_factor(elapsed, options.min_cutoff + options.beta * abs(derivative))
        value = b * x + (1 - b) * value
        last_time = t
        out.append(value)
    return out


def one_euro_poses(poses: np.ndarray, times: Iterable[float], width: float, height: float,
                   options: OneEuroOptions = OneEuroOptions()) -> np.ndarray:
    """one_euro.js KeypointsFilter over a run of poses (frames, 17, 3): coordinates filtered
    in frame units, scores passed through."""
    poses = np.asarray(poses, dtype=np.float64)
    times = list(times)
    out = poses.copy()
    for k in range(poses.shape[1]):
        for axis, size in ((0, width), (1, height)):
            filtered = one_euro(poses[:, k, axis] / size, times, options)
            out[:, k, axis] = np.asarray(filtered, dtype=np.float64) * size
    return out


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The lower weighted median (weights >= 0); the plain median when all weights are 0."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.sum() <= 0:
        weights = np.ones_like(values)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def consensus_poses(poses: np.ndarray, window: int) -> np.ndarray:
    """Per frame, per keypoint the score-weighted median x and y (and the median score) of
    this frame and the window - 1 before it (fewer at the start of the run)."""
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    poses = np.asarray(poses, dtype=np.float64)
    out = poses.copy()
    for f in range(len(poses)):
        recent = poses[max(0, f - window + 1): f + 1]
        for k in range(poses.shape[1]):
            scores = recent[:, k, 2]
            out[f, k, 0] = weighted_median(recent[:, k, 0], scores)
            out[f, k, 1] = weighted_median(recent[:, k, 1], scores)
            out[f, k, 2] = float(np.median(scores))
    return out
