"""The feature tree (the window index of movement search) is exact for its weighted L1."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.index.features import FeatureTree
from movemirror.index.partition import principal_axes
from movemirror.vectors import XY, to_vectors


def test_feature_tree_finds_exactly_what_brute_force_finds(penn_valid):
    keypoints, _ = penn_valid
    rng = np.random.default_rng(3)
    vectors = to_vectors(keypoints[rng.choice(len(keypoints), 6000, replace=False)])
    axes = principal_axes(vectors[:, XY])[:8]
    # Features as movement search makes them: poses projected on principal axes, stacked.
    features = np.concatenate([vectors[:3000, XY] @ axes.T, vectors[3000:, XY] @ axes.T], 1)
    tree = FeatureTree(features)
    queries = features[rng.choice(len(features), 40)] + rng.normal(0, 0.05, (40, 16))
    weights = rng.uniform(0, 1, (40, 16)).astype(np.float32)
    weights[:10, 8:] = 0.0  # a dimension left out
    found_d, found_i = tree.search(queries, weights, 10)
    truth = (np.abs(queries[:, None, :] - features[None]) * weights[:, None, :]).sum(2)
    expected = np.sort(truth, axis=1)[:, :10]
    assert found_d == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert np.take_along_axis(truth, found_i, 1) == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_feature_tree_refuses_mismatched_queries():
    tree = FeatureTree(np.random.default_rng(0).normal(size=(100, 6)))
    with pytest.raises(ValueError, match="queries of 5 features for a tree of 6"):
        tree.search(np.zeros(5), np.ones(5), 3)
    with pytest.raises(ValueError, match="weights must not be negative"):
        tree.search(np.zeros(6), -np.ones(6), 3)
    assert tree.search(np.zeros(6), np.ones(6), 500)[1].shape == (1, 100)


@pytest.mark.parametrize("dim", [1, 3, 15])
def test_feature_tree_of_few_dimensions_is_exact(dim):
    """Fewer dimensions than a block's first check covers: still exact, nothing read beyond."""
    rng = np.random.default_rng(dim)
    features = rng.normal(0, 1, (2000, dim)).astype(np.float32)
    queries = rng.normal(0, 1, (20, dim)).astype(np.float32)
    weights = rng.uniform(0.1, 1, (20, dim)).astype(np.float32)
    found_d, found_i = FeatureTree(features).search(queries, weights, 5)
    truth = (np.abs(queries[:, None, :] - features[None]) * weights[:, None, :]).sum(2)
    expected = np.sort(truth, axis=1)[:, :5]
    assert found_d == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert np.take_along_axis(truth, found_i, 1) == pytest.approx(expected, rel=1e-4, abs=1e-5)
