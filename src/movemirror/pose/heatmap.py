"""Heatmap refinement of landmark positions (MediaPipe's RefineLandmarksFromHeatmapCalculator).

A regression head puts each landmark roughly right; the heatmap beside it knows better where
the peak is. Each landmark moves to the confidence-weighted centre of a small window of its
own heatmap channel around it, when that window holds a confident peak.
"""

from __future__ import annotations

import numpy as np


def refine_with_heatmap(
    xy: np.ndarray, heatmap: np.ndarray, kernel: int = 7, min_confidence: float = 0.5
) -> np.ndarray:
    """xy: (N, 2) landmark positions in 0..1 of the crop; heatmap: (H, W, N) confidences 0..1.

    Returns the refined (N, 2) positions; landmarks outside the crop or without a peak of at
    least min_confidence in their window keep their position.
    """
    height, width, channels = heatmap.shape
    if channels < len(xy):
        raise ValueError(f"heatmap has {channels} channels for {len(xy)} landmarks")
    half = (kernel - 1) // 2
    out = np.array(xy, dtype=np.float64)
    for i, (x, y) in enumerate(out):
        col, row = int(np.floor(x * width)), int(np.floor(y * height))
        if not (0 <= col < width and 0 <= row < height):
            continue
        r0, r1 = max(0, row - half), min(height, row + half + 1)
        c0, c1 = max(0, col - half), min(width, col + half + 1)
        window = heatmap[r0:r1, c0:c1, i].astype(np.float64)
        total = window.sum()
        if window.max() < min_confidence or total <= 0:
            continue
        rows, cols = np.mgrid[r0:r1, c0:c1]
        out[i, 0] = ((cols * window).sum() / total + 0.5) / width
        out[i, 1] = ((rows * window).sum() / total + 0.5) / height
    return out
