"""Latencies as counts in fine log-spaced bins: a level's answers kept in a few KB whatever
its length, and a quantile of many levels' answers pooled (with its bootstrap interval over
rounds, the levels of a round resampled together) computed from the counts."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from movemirror.stats import bootstrap_interval

BIN_FIRST_MS = 0.01  # the first bin's lower edge; shorter latencies count in the first bin
BIN_RATIO = 1.005  # each bin 0.5% wider than the one before: a quantile to within 0.5%
BINS = math.ceil(math.log(100_000 / BIN_FIRST_MS) / math.log(BIN_RATIO))  # up to 100 s

Counts = dict[int, int]  # bin -> latencies in it, the empty bins left out


def latency_bins(ms: np.ndarray) -> np.ndarray:
    """Each latency's bin (those outside the bins' range in the first or the last)."""
    ms = np.asarray(ms, dtype=np.float64)
    bins = np.floor(np.log(np.maximum(ms, BIN_FIRST_MS) / BIN_FIRST_MS) / math.log(BIN_RATIO))
    return np.clip(bins, 0, BINS - 1).astype(np.int64)


def latency_counts(ms: np.ndarray) -> Counts:
    """The latencies (ms; NaN left out) counted by bin."""
    ms = np.asarray(ms, dtype=np.float64)
    bins, counts = np.unique(latency_bins(ms[~np.isnan(ms)]), return_counts=True)
    return {int(b): int(c) for b, c in zip(bins, counts, strict=True)}


def bin_ms(bins: np.ndarray | int) -> np.ndarray:
    """A bin's latency: the geometric middle of its edges."""
    return BIN_FIRST_MS * BIN_RATIO ** (np.asarray(bins, dtype=np.float64) + 0.5)


def quantile_bins(counts: np.ndarray, percent: float) -> np.ndarray:
    """Per row of counts (..., bins): the bin of the smallest latency at or above which
    `percent` of the row's latencies lie (numpy's "inverted_cdf" percentile); -1 where the
    row is empty."""
    cumulative = np.cumsum(counts, axis=-1)
    total = cumulative[..., -1:]
    # The rank of the quantile's latency (1 = the smallest); rounded before the ceiling so
    # that 0.99 * 100 counts as 99, not 99.00000000000001.
    rank = np.maximum(np.ceil(np.round(total * (percent / 100), 9)), 1)
    bins = np.argmax(cumulative >= rank, axis=-1)
    return np.where(total[..., 0] > 0, bins, -1)


def _dense(levels: Sequence[Counts]) -> np.ndarray:
    dense = np.zeros((len(levels), BINS), dtype=np.int64)
    for row, counts in enumerate(levels):
        if counts:
            bins = np.fromiter(counts.keys(), dtype=np.int64)
            dense[row, bins] = np.fromiter(counts.values(), dtype=np.int64)
    return dense


def _tail(levels: Sequence[Counts], percent: float) -> tuple[np.ndarray, int]:
    """The levels' counts (levels, bins) from the lowest of their own quantiles up, all
    below it in the first bin, and the bin the first stands for: a pooled quantile of any
    of them (with repeats) lies at or above the lowest of their quantiles, so it is the same
    from these few bins as from all (and the bootstrap's work shrinks tenfold)."""
    dense = _dense(levels)
    own = quantile_bins(dense, percent)
    low = int(own[own >= 0].min()) if (own >= 0).any() else 0
    used = np.flatnonzero(dense.any(axis=0))
    high = max(low, int(used.max())) if len(used) else low
    tail = dense[:, low:high + 1].copy()
    tail[:, 0] += dense[:, :low].sum(axis=1)
    return tail, low


def pooled_quantile_ms(levels: Sequence[Counts], percent: float) -> float:
    """The quantile of all the levels' latencies together (NaN if they have none)."""
    tail, first = _tail(levels, percent)
    bin_ = int(quantile_bins(tail.sum(axis=0), percent))
    return float(bin_ms(first + bin_)) if bin_ >= 0 else float("nan")


def pooled_quantile_ratio(before: Sequence[Counts], after: Sequence[Counts],
                          percent: float) -> float:
    """The quantile of all the latencies `after` over that of all those `before`."""
    return pooled_quantile_ms(after, percent) / pooled_quantile_ms(before, percent)


def pooled_quantile_ratio_interval(before: Sequence[Counts], after: Sequence[Counts],
                                   percent: float, draws: int = 10_000,
                                   seed: int = 0) -> tuple[float, float]:
    """pooled_quantile_ratio's 95% interval by a paired cluster bootstrap: before[i] and
    after[i] are one round's levels, and rounds are resampled whole, with replacement (each
    resample's latencies pooled anew), so that what two levels of a round share stays in."""
    if len(before) != len(after):
        raise ValueError(f"one level before and one after a round, got {len(before)} "
                         f"and {len(after)}")
    tail_before, first_before = _tail(before, percent)
    tail_after, first_after = _tail(after, percent)

    def ratios(resampled_before: np.ndarray, resampled_after: np.ndarray) -> np.ndarray:
        quantiles = [bin_ms(first + quantile_bins(resampled.sum(axis=1), percent)).astype(
                         np.float64) for first, resampled in ((first_before, resampled_before),
                                                              (first_after, resampled_after))]
        empty = (resampled_before.sum(axis=(1, 2)) == 0) | (resampled_after.sum(axis=(1, 2)) == 0)
        return np.where(empty, np.nan, quantiles[1] / quantiles[0])

    return bootstrap_interval(ratios, tail_before, tail_after, draws=draws, seed=seed)
