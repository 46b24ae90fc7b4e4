"""The oracle gap: how much of the way from a random archive photo to the archive's best one a
pipeline's match goes, by a judge's score (lower is better)."""

from __future__ import annotations

import numpy as np

from movemirror.stats import bootstrap_interval


def gap_closed(random, oracle, chosen) -> float:
    """(sum random - chosen) / (sum random - oracle) over the queries where all three are
    known: a ratio of means (robust where one query's gap is tiny). 1 = always the best
    photo, 0 = no better than chance, negative = worse than chance. NaN with no usable query.
    """
    random, oracle, chosen = (np.asarray(a, dtype=np.float64) for a in (random, oracle, chosen))
    if not random.shape == oracle.shape == chosen.shape:
        raise ValueError("random, oracle and chosen must have one score per query each")
    known = np.isfinite(random) & np.isfinite(oracle) & np.isfinite(chosen)
    span = (random[known] - oracle[known]).sum()
    if not known.any() or span <= 0:
        return float("nan")
    return float((random[known] - chosen[known]).sum() / span)


def reference_scores(judged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From a (queries, archive) matrix of judge scores (NaN: not comparable), per query the
    random photo's expected score (the mean) and the oracle's (the minimum)."""
    judged = np.asarray(judged, dtype=np.float64)
    comparable = np.isfinite(judged).any(axis=1)
    random = np.full(len(judged), np.nan)
    oracle = np.full(len(judged), np.nan)
    random[comparable] = np.nanmean(judged[comparable], axis=1)
    oracle[comparable] = np.nanmin(judged[comparable], axis=1)
    return random, oracle


def paired_gap_difference(random, oracle, baseline, other, draws: int = 2000,
                          seed: int = 0) -> tuple[float, float, float]:
    """How much more of the gap `other` closes than `baseline` (both chosen scores of the
    same queries), over the queries where all four are known, and the 95% interval of a
    paired bootstrap (queries resampled with replacement, both pipelines together):
    (difference, low, high); NaN with no usable query."""
    random, oracle, baseline, other = (np.asarray(a, dtype=np.float64)
                                       for a in (random, oracle, baseline, other))
    known = (np.isfinite(random) & np.isfinite(oracle) & np.isfinite(baseline)
             & np.isfinite(other))
    span, gain = (random - oracle)[known], (baseline - other)[known]
    if not known.any() or span.sum() <= 0:
        return float("nan"), float("nan"), float("nan")
    low, high = bootstrap_interval(_gain_per_span, span, gain, draws=draws, seed=seed)
    return float(gain.sum() / span.sum()), low, high


def _gain_per_span(spans: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Per resample (a row), sum gain / sum span; NaN where the span is not positive."""
    total = spans.sum(axis=1)
    return gains.sum(axis=1) / np.where(total > 0, total, np.nan)
