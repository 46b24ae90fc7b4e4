"""The oracle gap: 1 for the best photo, 0 for chance, a ratio of means across queries."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.quality.gap import gap_closed, paired_gap_difference, reference_scores


def test_reference_scores_are_the_mean_and_the_best():
    judged = np.array([[3.0, 1.0, 5.0], [np.nan, 2.0, 4.0], [np.nan, np.nan, np.nan]])
    random, oracle = reference_scores(judged)
    np.testing.assert_allclose(random[:2], [3.0, 3.0])
    np.testing.assert_allclose(oracle[:2], [1.0, 2.0])
    assert np.isnan(random[2]) and np.isnan(oracle[2])


def test_oracle_closes_all_random_none():
    rng = np.random.default_rng(0)
    judged = rng.uniform(0, 90, (50, 200))
    random, oracle = reference_scores(judged)
    assert gap_closed(random, oracle, oracle) == pytest.approx(1.0)
    assert gap_closed(random, oracle, random) == pytest.approx(0.0)
    worst = judged.max(axis=1)
    assert gap_closed(random, oracle, worst) < 0


def test_ratio_of_means_not_mean_of_ratios():
    random = np.array([10.0, 1.1])
    oracle = np.array([0.0, 1.0])
    chosen = np.array([5.0, 1.1])  # half the first gap; none of the tiny second one
    assert gap_closed(random, oracle, chosen) == pytest.approx(5.0 / 10.1)


def test_unanswered_queries_do_not_count():
    random, oracle = np.array([10.0, 10.0]), np.array([0.0, 0.0])
    assert gap_closed(random, oracle, np.array([0.0, np.nan])) == pytest.approx(1.0)
    assert np.isnan(gap_closed(random, oracle, np.array([np.nan, np.nan])))


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="one score per query"):
        gap_closed(np.zeros(3), np.zeros(3), np.zeros(2))


def test_paired_difference_of_the_gap_closed_with_its_interval():
    rng = np.random.default_rng(3)
    random = rng.uniform(50, 60, 400)
    oracle = rng.uniform(0, 10, 400)
    baseline = rng.uniform(oracle, random)
    better = baseline - rng.uniform(0, 5, 400)  # every query closer to its oracle
    difference, low, high = paired_gap_difference(random, oracle, baseline, better)
    expected = gap_closed(random, oracle, better) - gap_closed(random, oracle, baseline)
    assert difference == pytest.approx(expected)
    assert 0 < low < difference < high
    same = paired_gap_difference(random, oracle, baseline, baseline)
    assert same == (0.0, 0.0, 0.0)
    # Queries unknown on either side are left out of both; none usable: NaN.
    baseline[:10] = np.nan
    assert paired_gap_difference(random, oracle, baseline, better)[0] == pytest.approx(
        gap_closed(random[10:], oracle[10:], better[10:])
        - gap_closed(random[10:], oracle[10:], baseline[10:]))
    assert np.isnan(paired_gap_difference(random[:5], oracle[:5], baseline[:5],
                                          better[:5])[0])
