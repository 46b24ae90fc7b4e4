"""Finding the annotated person among a photo's estimated entries."""

from __future__ import annotations

import numpy as np

from movemirror.quality.assign import annotated_person


def test_picks_the_entry_on_the_annotation(lspet_truths):
    truth = lspet_truths[5]
    someone_else = truth.copy()
    someone_else[:, 0] += 400.0
    near = truth.copy()
    near[:, :2] += 2.0
    assert annotated_person([someone_else, near], truth) == 1
    assert annotated_person([someone_else], truth) is None
    assert annotated_person([], truth) is None


def test_half_the_joints_must_agree(lspet_truths):
    truth = lspet_truths[7]
    annotated = np.flatnonzero(truth[5:, 2] > 0) + 5
    half_wrong = truth.copy()
    half_wrong[annotated[: len(annotated) // 2 + 1], 0] += 1000.0
    assert annotated_person([half_wrong], truth) is None
