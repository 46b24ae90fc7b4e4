"""Heatmap refinement: landmarks move to the peak near them, and only when it is confident."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.pose.heatmap import refine_with_heatmap


def _peak(size: int, x: float, y: float, height: float = 0.9, sigma: float = 1.2) -> np.ndarray:
    """A (size, size) Gaussian blob centred on pixel-centre coordinates (x, y)."""
    rows, cols = np.mgrid[0:size, 0:size] + 0.5
    return height * np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))


def test_landmark_moves_to_the_nearby_peak():
    heatmap = _peak(64, 20.5, 40.5, sigma=0.8)[:, :, None]
    start = np.array([[22.0 / 64, 39.0 / 64]])  # 1.5 cells off in each direction
    refined = refine_with_heatmap(start, heatmap)
    np.testing.assert_allclose(refined[0] * 64, [20.5, 40.5], atol=0.1)


def test_weak_peak_far_landmark_and_outside_landmark_stay_put():
    heatmap = np.stack([_peak(64, 20.5, 40.5, height=0.3), _peak(64, 5.5, 5.5),
                        _peak(64, 30.5, 30.5)], axis=2)
    start = np.array([[22.0, 38.0], [40.0, 40.0], [70.0, 30.0]]) / 64
    refined = refine_with_heatmap(start, heatmap)
    np.testing.assert_array_equal(refined, start)


def test_each_landmark_reads_its_own_channel():
    heatmap = np.stack([_peak(64, 10.5, 10.5), _peak(64, 50.5, 50.5)], axis=2)
    start = np.array([[11.0, 11.0], [49.0, 49.0]]) / 64
    refined = refine_with_heatmap(start, heatmap) * 64
    np.testing.assert_allclose(refined, [[10.5, 10.5], [50.5, 50.5]], atol=0.2)


def test_too_few_channels_is_an_error():
    with pytest.raises(ValueError, match="channels"):
        refine_with_heatmap(np.zeros((3, 2)), np.zeros((8, 8, 2)))
