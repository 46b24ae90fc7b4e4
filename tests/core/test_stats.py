"""The bootstrap interval: coverage, the draws' stream, pairs and degenerate inputs."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.stats import bootstrap_interval


def mean(values: np.ndarray) -> np.ndarray:
    return values.mean(axis=1)


def test_the_95_interval_of_a_mean_covers_the_true_mean_about_95_times_in_100():
    rng = np.random.default_rng(7)
    experiments = 300
    covered = 0
    for seed in range(experiments):
        sample = rng.normal(3.0, 2.0, 50)
        low, high = bootstrap_interval(mean, sample, draws=1000, seed=seed)
        assert low < sample.mean() < high
        covered += low <= 3.0 <= high
    # The percentile bootstrap runs a little short at n = 50; binomial error is ~1.3 points.
    assert 0.88 <= covered / experiments <= 0.99


def test_the_interval_narrows_with_more_rows_and_widens_with_confidence():
    rng = np.random.default_rng(1)
    small, large = rng.normal(0, 1, 30), rng.normal(0, 1, 3000)
    width = lambda interval: interval[1] - interval[0]  # noqa: E731
    assert width(bootstrap_interval(mean, large)) < width(bootstrap_interval(mean, small)) / 5
    assert width(bootstrap_interval(mean, small, confidence=0.99)) > width(
        bootstrap_interval(mean, small, confidence=0.8))


def test_the_draws_are_one_stream_whatever_the_chunks():
    """Vectorised and chunked, the draws are those of a loop drawing one resample at a time
    from default_rng(seed), so an interval depends on the seed and the draws only."""
    values = np.random.default_rng(3).lognormal(0, 0.5, 9)
    rng = np.random.default_rng(11)
    means = [values[rng.integers(0, len(values), len(values))].mean() for _ in range(500)]
    expected = tuple(float(q) for q in np.percentile(means, [2.5, 97.5]))
    for chunk_items in (1, 20, 9 * 500, 1 << 22):  # one draw a chunk, uneven chunks, one
        assert bootstrap_interval(mean, values, draws=500, seed=11,
                                  chunk_items=chunk_items) == expected
    assert bootstrap_interval(mean, values, draws=500, seed=12) != expected


def test_paired_rows_are_resampled_together():
    """y = x + 1 row by row, x spread wide: every paired resample's mean difference is 1.
    Rows of several values are resampled whole."""
    x = np.random.default_rng(5).normal(0, 100, 40)
    y = x + 1
    assert bootstrap_interval(lambda a, b: (b - a).mean(axis=1), x, y) == pytest.approx(
        (1.0, 1.0))
    both = np.stack([x, y], axis=1)  # (rows, 2)
    assert bootstrap_interval(lambda r: (r[..., 1] - r[..., 0]).mean(axis=1),
                              both) == pytest.approx((1.0, 1.0))
    # Unpaired (each column its own draws), the difference would spread by tens.
    low, high = bootstrap_interval(mean, y)
    assert high - low > 20


def test_degenerate_inputs_give_a_point_or_a_clear_error():
    assert bootstrap_interval(mean, [4.2]) == (4.2, 4.2)  # one row: every resample is it
    assert bootstrap_interval(mean, np.full(30, 0.5)) == (0.5, 0.5)
    with pytest.raises(ValueError, match="at least one row"):
        bootstrap_interval(mean, [])
    with pytest.raises(ValueError, match="lengths"):
        bootstrap_interval(lambda a, b: a.mean(axis=1), [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one column"):
        bootstrap_interval(mean)
    with pytest.raises(ValueError, match="draw"):
        bootstrap_interval(mean, [1.0, 2.0], draws=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_interval(mean, [1.0, 2.0], confidence=1.0)


def test_resamples_where_the_statistic_is_undefined_are_left_out():
    """A ratio of sums is NaN where the denominator's resample sums to zero."""
    span = np.array([0.0, 0.0, 1.0])
    gain = np.array([5.0, 5.0, 0.5])
    def ratio(s: np.ndarray, g: np.ndarray) -> np.ndarray:
        total = s.sum(axis=1)
        return g.sum(axis=1) / np.where(total > 0, total, np.nan)

    low, high = bootstrap_interval(ratio, span, gain, draws=2000)
    assert 0.5 <= low <= high <= 10.5 and np.isfinite([low, high]).all()
    assert np.isnan(bootstrap_interval(ratio, span[:2], gain[:2])).all()
