"""The learned second stage's maths: features of real LSPET poses, the listwise loss and
its fit."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.keypoints import BODY_SEGMENTS, MIRROR_PERMUTATION, mirror_keypoints
from movemirror.quality.learned_order import (
    FEATURE_NAMES,
    GROUPS,
    LinearOrder,
    fit_linear_order,
    listwise_loss,
    pair_features,
    softmax_targets,
)
from movemirror.torso_vectors import torso_vectors_where_possible

ANGLES = np.array([n.startswith("angle ") for n in FEATURE_NAMES])


def features_of(query: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    q_torso, q_ok = torso_vectors_where_possible(query[None])
    c_torso, c_ok = torso_vectors_where_possible(candidates)
    assert q_ok.all() and c_ok.all()
    count = len(candidates)
    return pair_features(np.repeat(q_torso, count, axis=0), np.repeat(query[None], count, axis=0),
                         c_torso, candidates, np.linspace(0.1, 0.3, count))


def usable(poses: np.ndarray) -> np.ndarray:
    _, ok = torso_vectors_where_possible(poses)
    return poses[ok]


def test_names_match_the_columns(lspet_truths):
    poses = usable(lspet_truths)
    assert features_of(poses[0], poses[1:6]).shape == (5, len(FEATURE_NAMES))
    assert len(FEATURE_NAMES) == 4 + 3 * len(GROUPS) + len(BODY_SEGMENTS) + 2


def test_a_pose_against_itself_has_no_gap(lspet_truths):
    poses = usable(lspet_truths)[:20]
    for pose in poses:
        f = features_of(pose, pose[None])[0]
        gaps = [i for i, n in enumerate(FEATURE_NAMES)
                if n in ("torso", "aligned") or n.startswith(("gap ", "sure gap ", "angle "))]
        assert np.allclose(f[gaps], 0.0, atol=1e-6)
        scores = [i for i, n in enumerate(FEATURE_NAMES) if n.startswith("score ")]
        assert np.all(f[scores] >= 0) and np.all(f[scores] <= 1)
    # ...while other poses do differ
    assert features_of(poses[0], poses[1:])[:, FEATURE_NAMES.index("torso")].min() > 0


def test_mirroring_both_poses_keeps_the_features(lspet_truths):
    """Mirroring query and candidate alike changes no distance; the per-segment angles
    swap left for right."""
    poses = usable(lspet_truths)[:40]
    query, candidates = poses[0], poses[1:]
    plain = features_of(query, candidates)
    mirrored = features_of(mirror_keypoints(query), mirror_keypoints(candidates))
    assert np.allclose(plain[:, ~ANGLES], mirrored[:, ~ANGLES], atol=1e-5)
    segments = list(BODY_SEGMENTS)
    swap = []
    for a, b in segments:
        ma, mb = MIRROR_PERMUTATION[a], MIRROR_PERMUTATION[b]
        swap.append(segments.index((ma, mb)) if (ma, mb) in segments
                    else segments.index((mb, ma)))
    assert np.allclose(plain[:, ANGLES][:, swap], mirrored[:, ANGLES], atol=1e-5)


def test_degenerate_poses_give_finite_features(lspet_truths):
    poses = usable(lspet_truths)[:10].copy()
    # a candidate with only its torso confident, and one whose limbs all sit on one point
    poses[1, [0, 1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16], 2] = 0.0
    poses[2, 7:11, :2] = poses[2, 5, :2]
    query = poses[0].copy()
    query[[9, 10, 15, 16], 2] = 0.0  # the query has no wrists or ankles
    f = features_of(query, poses[1:])
    assert np.isfinite(f).all()
    assert f[0, FEATURE_NAMES.index("gap ankles")] == 0.0  # nothing of the query's to compare
    # An upper-body query (no confident hip) has a torso vector but the joint-position
    # judge cannot measure it: flagged, not NaN.
    upper = poses[0].copy()
    upper[11:, 2] = 0.0
    f = features_of(upper, poses[1:])
    assert np.isfinite(f).all()
    assert (f[:, FEATURE_NAMES.index("aligned missing")] == 1.0).all()
    assert (f[:, FEATURE_NAMES.index("aligned")] == 0.0).all()


def test_targets():
    gains = np.array([[0.2, 0.9, 0.5, np.nan], [np.nan, np.nan, 0.1, 0.3]])
    mask = np.array([[True, True, True, True], [True, True, True, False]])
    hard = softmax_targets(gains, mask, 0.0)
    assert np.array_equal(hard, [[0, 1, 0, 0], [0, 0, 1, 0]])
    soft = softmax_targets(gains, mask, 0.1)
    assert np.allclose(soft.sum(axis=1), 1) and soft[0, 1] > soft[0, 2] > soft[0, 0] > 0
    assert soft[0, 3] == 0 and soft[1, 3] == 0
    assert np.array_equal(softmax_targets(np.full((1, 3), np.nan), np.ones((1, 3), bool), 0.1),
                          np.zeros((1, 3)))


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(30, 6, 4))
    mask = rng.random((30, 6)) > 0.2
    mask[:, 0] = True
    targets = softmax_targets(rng.normal(size=(30, 6)), mask, 0.5)
    targets[3] = 0.0  # a query without a target
    w = rng.normal(size=4)
    loss, grad = listwise_loss(w, features, mask, targets, 0.1)
    step = 1e-6
    numeric = [(listwise_loss(w + step * e, features, mask, targets, 0.1)[0]
                - listwise_loss(w - step * e, features, mask, targets, 0.1)[0]) / (2 * step)
               for e in np.eye(4)]
    assert np.isfinite(loss)
    assert np.allclose(grad, numeric, atol=1e-6)


def test_fit_recovers_a_known_weight_vector():
    rng = np.random.default_rng(0)
    true = np.array([2.0, -1.0, 0.5, 0.0])
    features = rng.normal(size=(400, 10, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 1.0, -2.0, 5.0]
    mask = np.ones((400, 10), bool)
    mask[::7, 8:] = False
    logits = np.where(mask, features @ true, -np.inf)
    targets = np.exp(logits - logits.max(axis=1, keepdims=True))
    targets /= targets.sum(axis=1, keepdims=True)
    model = fit_linear_order(features, mask, targets, regularisation=1e-8)
    assert np.allclose(model.weights / model.scale, true, atol=1e-3)
    # Heavier regularisation shrinks the weights.
    shrunk = fit_linear_order(features, mask, targets, regularisation=1.0)
    assert np.linalg.norm(shrunk.weights) < 0.5 * np.linalg.norm(model.weights)


def test_scores_order_by_the_weighted_features():
    model = LinearOrder(np.array([-1.0, 0.0]), np.zeros(2), np.ones(2))
    s = model.scores(np.array([[0.3, 5.0], [0.1, -5.0], [0.2, 0.0]]))
    assert list(np.argsort(-s)) == [1, 2, 0]


def test_fit_refuses_no_data():
    with pytest.raises(ValueError):
        fit_linear_order(np.zeros((2, 3, 4)), np.zeros((2, 3), bool), np.zeros((2, 3)))
