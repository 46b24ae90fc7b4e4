"""Penn Action's labels read into the schema (movemirror.datasets.penn_action), on the real files."""

from __future__ import annotations

import numpy as np

from movemirror.datasets.penn_action import OCCLUDED_SCORE, to_schema


def test_a_joint_marked_unlabelled_in_the_corner_scores_zero_and_an_occluded_one_half():
    x = np.array([[0.75, 0.0, 0.75, 120.0, 0.75, 1.5] + [50.0] * 7])
    y = np.array([[0.75, 0.0, 300.0, 0.75, 0.75, 1.5] + [60.0] * 7])
    visibility = np.array([[0, 0, 0, 0, 1, 0] + [1] * 7])
    scores = to_schema(x, y, visibility)[0, [0, 5, 6, 7, 8, 9], 2]
    # corner marker, (0, 0), occluded at the left edge, occluded at the top edge, a visible
    # joint in the corner (kept: the annotator saw it there), another corner marker
    assert scores.tolist() == [0.0, 0.0, OCCLUDED_SCORE, OCCLUDED_SCORE, 1.0, 0.0]


def test_no_scored_joint_of_the_real_labels_sits_at_a_corner_marker(penn):
    xy, scores = penn.keypoints[..., :2], penn.keypoints[..., 2]
    at_corner = (xy <= 2.0).all(axis=-1)
    assert at_corner.sum() > 100_000  # the labels do mark many joints there
    assert not (at_corner & (scores > 0) & (scores < 1)).any()
    assert (scores > 0).mean() > 0.5  # the rest stay labelled
