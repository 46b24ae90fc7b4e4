"""The tuning scripts' figures: the gap closed over the answered queries and, in brackets,
over all of them with an unanswered query counting as a random photo."""

from __future__ import annotations

import dataclasses

import numpy as np

from movemirror.bench.quality_judged import JUDGES
from movemirror.bench.quality_tuning import TuningSetup


def _setup(random: np.ndarray, oracle: np.ndarray) -> TuningSetup:
    unused = {field.name: None for field in dataclasses.fields(TuningSetup)}
    return TuningSetup(**unused | {"random": {n: random for n in JUDGES},
                                   "oracle": {n: oracle for n in JUDGES}})


def test_figures_over_the_answered_and_over_all():
    setup = _setup(random=np.array([1.0, 1.0, 1.0, 1.0]), oracle=np.zeros(4))
    # Three answered: the best photo, half way, no better than chance; one unanswered (NaN).
    chosen = np.array([0.0, 0.5, 1.0, np.nan])
    answered = np.isfinite(chosen)
    line = setup.figures({n: chosen for n in JUDGES}, answered)
    # answered: (3 - 1.5) / 3 = 0.5; all four, the unanswered as random: (4 - 2.5) / 4 = 0.375
    assert line == "3 answered, " + " ".join(f"{n} 0.500 (0.375)" for n in JUDGES)


def test_figures_per_judge():
    setup = _setup(random=np.ones(2), oracle=np.zeros(2))
    first, second = JUDGES  # limb direction, joint position
    chosen = {first: np.array([0.0, 0.0]), second: np.array([1.0, 1.0])}
    line = setup.figures(chosen, np.array([True, True]))
    assert f"{first} 1.000 (1.000)" in line and f"{second} 0.000 (0.000)" in line
