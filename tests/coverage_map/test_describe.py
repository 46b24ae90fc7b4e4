"""The pose words on real poses: each rule is common in the Penn Action sports that make that
pose and rare elsewhere, and none depends on the side, size or place of the person."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.coverage.describe import PHRASES, describe, shared_phrases
from movemirror.keypoints import mirror_keypoints


def _rate(descriptions, rows, phrase) -> float:
    return float(np.mean([phrase in descriptions[i] for i in rows]))


@pytest.fixture(scope="module")
def described(penn_sample):
    return [describe(pose) for pose in penn_sample.keypoints]


@pytest.mark.parametrize(("action", "phrase", "factor"), [
    ("pullup", "both wrists above the head", 3.0),
    ("clean_and_jerk", "both wrists above the shoulders", 1.8),
    ("tennis_serve", "one wrist above the head", 2.0),
    ("pushup", "lying or leaning flat", 3.0),
    ("bench_press", "lying or leaning flat", 3.0),
    ("jumping_jacks", "arms out to the side", 5.0),
    ("golf_swing", "standing straight", 1.5),
])
def test_a_rule_is_common_in_the_sport_that_makes_the_pose(penn_sample, described, action,
                                                           phrase, factor):
    everyone = np.arange(len(described))
    players = np.flatnonzero(penn_sample.action == action)
    assert _rate(described, players, phrase) >= factor * _rate(described, everyone, phrase)


def test_a_rule_is_rare_in_a_sport_that_never_makes_the_pose(penn_sample, described):
    forehand = np.flatnonzero(penn_sample.action == "tennis_forehand")
    assert _rate(described, forehand, "both wrists above the head") < 0.02
    lying = np.flatnonzero(penn_sample.action == "bench_press")
    assert _rate(described, lying, "standing straight") < 0.05


def test_words_ignore_side_size_and_place(penn_sample, described):
    rows = np.random.default_rng(0).choice(len(described), 500, replace=False)
    for i in rows:
        pose = penn_sample.keypoints[i]
        moved = pose.copy()
        moved[:, :2] = pose[:, :2] * 2.5 + np.float32([40, -70])
        assert describe(mirror_keypoints(pose, image_width=640)) == described[i]
        assert describe(moved) == described[i]


def test_turning_a_standing_pose_over_makes_it_upside_down(penn_sample, described):
    standing = [i for i, d in enumerate(described) if "standing straight" in d][:200]
    assert standing
    for i in standing:
        flipped = penn_sample.keypoints[i].copy()
        flipped[:, 1] = -flipped[:, 1]
        assert "upside down" in describe(flipped)
        assert "standing straight" not in describe(flipped)


def test_a_pose_without_its_torso_gets_no_words(penn_sample):
    pose = penn_sample.keypoints[0].copy()
    pose[11, 2] = 0.0  # left hip not seen
    assert describe(pose) == ()


def test_shared_phrases_are_those_of_at_least_half(penn_sample, described):
    pullups = np.flatnonzero(penn_sample.action == "pullup")[:300]
    shared = shared_phrases(penn_sample.keypoints[pullups])
    for phrase in PHRASES:
        assert (phrase in shared) == (_rate(described, pullups, phrase) >= 0.5)
    assert shared_phrases(np.empty((0, 17, 3))) == ()
