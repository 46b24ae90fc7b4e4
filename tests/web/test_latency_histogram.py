"""bench serve's latency counts by bin, and the pooled p99 ratio with its paired cluster
bootstrap over rounds, against the raw latencies they stand for."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from movemirror.bench.latency_histogram import (
    BIN_RATIO,
    bin_ms,
    latency_bins,
    latency_counts,
    pooled_quantile_ms,
    pooled_quantile_ratio,
    pooled_quantile_ratio_interval,
    quantile_bins,
)


def exact(ms: np.ndarray, percent: float) -> float:
    """The smallest latency at or above which `percent` of them lie, ranked in exact
    arithmetic (numpy's "inverted_cdf" takes 0.999 * 1000 for 998.99... and so the 1000th)."""
    rank = math.ceil(Fraction(str(percent)) * len(ms) / 100)
    return float(np.sort(ms)[max(rank, 1) - 1])


def test_a_level_s_quantile_from_its_counts_is_the_bin_of_the_exact_quantile():
    rng = np.random.default_rng(2)
    for size in (1, 7, 99, 100, 101, 1000, 12_345):
        ms = rng.lognormal(np.log(20), 0.8, size)
        counts = latency_counts(ms)
        assert sum(counts.values()) == size
        dense = np.zeros(max(counts) + 1, dtype=np.int64)
        dense[list(counts)] = list(counts.values())
        for percent in (50, 99, 99.9, 100):
            bin_ = int(quantile_bins(dense, percent))
            assert bin_ == latency_bins(np.asarray([exact(ms, percent)]))[0], (size, percent)
            assert bin_ms(bin_) == pytest.approx(exact(ms, percent), rel=BIN_RATIO - 1)
    assert latency_counts(np.asarray([np.nan])) == {}
    assert int(quantile_bins(np.zeros(5, dtype=np.int64), 99)) == -1


def test_the_pooled_p99_is_that_of_all_the_latencies_not_a_mean_of_the_levels_p99s():
    """Levels of different scales: the pooled p99 is the p99 of their latencies together,
    which the median or mean of their own p99s is far from."""
    rng = np.random.default_rng(4)
    levels = [rng.lognormal(np.log(scale), 0.5, 5_000) for scale in (5, 6, 8, 40)]
    pooled = exact(np.concatenate(levels), 99)
    assert pooled_quantile_ms([latency_counts(ms) for ms in levels], 99) == pytest.approx(
        pooled, rel=BIN_RATIO - 1)
    own = [exact(ms, 99) for ms in levels]
    assert abs(np.median(own) - pooled) > 0.3 * pooled
    assert np.isnan(pooled_quantile_ms([{}, {}], 99))


def rounds_of(rng, scales, stretch: float = 1.0, n: int = 4_000) -> list[np.ndarray]:
    return [rng.lognormal(np.log(scale), 0.6, n) * stretch for scale in scales]


def test_a_known_pooled_ratio_and_a_paired_interval_around_it():
    """Each round's latencies with the flood are those without, 1.3 times longer: the pooled
    ratio is 1.3, and every paired resample's is too (to the bins' width), however much the
    rounds differ from each other; drawn apart, the sides' ratio would spread widely."""
    rng = np.random.default_rng(5)
    scales = rng.uniform(5, 60, 12)  # the machine's load drifting from round to round
    without = rounds_of(rng, scales)
    before = [latency_counts(ms) for ms in without]
    after = [latency_counts(ms * 1.3) for ms in without]
    assert pooled_quantile_ratio(before, after, 99) == pytest.approx(1.3, rel=0.011)
    low, high = pooled_quantile_ratio_interval(before, after, 99, draws=2_000)
    assert 1.3 * 0.985 <= low <= high <= 1.3 * 1.015
    unpaired = [latency_counts(ms * 1.3) for ms in rounds_of(rng, rng.uniform(5, 60, 12))]
    low, high = pooled_quantile_ratio_interval(before, unpaired, 99, draws=2_000)
    assert high - low > 0.3


def test_the_interval_is_the_cluster_bootstrap_of_the_raw_latencies():
    """The same draws (bootstrap_interval's stream), each resample's rounds pooled from the
    raw latencies: the same interval, to the bins' width."""
    rng = np.random.default_rng(6)
    scales = rng.uniform(10, 30, 8)
    without = rounds_of(rng, scales, n=1_500)
    with_flood = [ms * rng.uniform(0.9, 1.5) for ms in rounds_of(rng, scales, n=1_500)]
    draws, seed = 400, 3
    picks = np.random.default_rng(seed).integers(0, len(scales), (draws, len(scales)))
    ratios = [exact(np.concatenate([with_flood[i] for i in pick]), 99)
              / exact(np.concatenate([without[i] for i in pick]), 99) for pick in picks]
    expected = np.percentile(ratios, [2.5, 97.5])
    got = pooled_quantile_ratio_interval([latency_counts(ms) for ms in without],
                                         [latency_counts(ms) for ms in with_flood], 99,
                                         draws=draws, seed=seed)
    assert got == pytest.approx(tuple(expected), rel=0.011)


def test_more_rounds_narrow_the_interval_of_a_noisy_ratio():
    """Rounds whose own ratios spread widely (each round's latencies with the flood 0.6-1.8
    times those without): the interval holds the estimate and narrows with four times the
    rounds."""
    rng = np.random.default_rng(8)

    def interval(count: int) -> tuple[float, float]:
        scales = rng.uniform(10, 30, count)
        before = [latency_counts(ms) for ms in rounds_of(rng, scales)]
        after = [latency_counts(ms * rng.uniform(0.6, 1.8))
                 for ms in rounds_of(rng, scales)]
        ratio = pooled_quantile_ratio(before, after, 99)
        low, high = pooled_quantile_ratio_interval(before, after, 99, draws=2_000)
        assert low <= ratio <= high
        return low, high

    few, many = interval(6), interval(24)
    assert many[1] - many[0] < 0.75 * (few[1] - few[0])
    with pytest.raises(ValueError, match="one level before and one after"):
        pooled_quantile_ratio_interval([{10: 1}], [], 99)
