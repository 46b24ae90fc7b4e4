"""A 2-D map of pose space: UMAP (umap-learn, the `coverage` extra) where installed, else PCA.

The map is fitted on a sample of the bank's pose vectors (their normalised x/y part, where
Euclidean distance is Move Mirror's cosine distance) and every other pose, of the bank or a
reference set, is placed on it by the fitted transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from movemirror.arguments import whole_number
from movemirror.errors import InvalidArgumentError
from movemirror.keypoints import MIRROR_PERMUTATION, mirror_keypoints
from movemirror.vectors import XY

MAP_SAMPLE = 5000  # poses the map is fitted on
METHODS = ("umap", "pca")


def umap_available() -> bool:
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class PoseMap:
    """A fitted map: place(vectors) gives their (N, 2) positions."""

    method: str
    _model: Any  # the UMAP object, or (mean (34,), axes (34, 2)) for PCA

    def place(self, vectors) -> np.ndarray:
        features = _features(vectors)
        if not len(features):
            return np.empty((0, 2), np.float32)
        if self.method == "pca":
            mean, axes = self._model
            return ((features - mean) @ axes).astype(np.float32)
        return np.asarray(self._model.transform(features), np.float32)


def fit_map(vectors, method: str | None = None, sample: int = MAP_SAMPLE,
            seed: int = 0) -> PoseMap:
    """Fit a map on at most `sample` of vectors (N, 52). method: "umap", "pca", or None for
    UMAP where umap-learn is installed, else PCA."""
    sample = whole_number(sample, "sample", minimum=3)
    if method is None:
        method = "umap" if umap_available() else "pca"
    if method not in METHODS:
        raise InvalidArgumentError(f"map method must be one of {', '.join(METHODS)}, "
                                   f"not {method!r}")
    features = _features(vectors)
    if len(features) < 3:
        raise InvalidArgumentError(f"a map needs at least 3 poses, got {len(features)}")
    rng = np.random.default_rng(seed)
    if len(features) > sample:
        features = features[np.sort(rng.choice(len(features), sample, replace=False))]
    if method == "pca":
        mean = features.mean(axis=0)
        _, _, vt = np.linalg.svd(features - mean, full_matrices=False)
        return PoseMap("pca", (mean, vt[:2].T))
    import umap

    # UMAP's spectral start solves for one eigenvector more than the map's 2 dimensions and
    # cannot with 3 poses: so few start from random positions.
    init = "spectral" if len(features) > 3 else "random"
    model = umap.UMAP(n_components=2, n_neighbors=min(15, len(features) - 1), init=init,
                      random_state=seed, n_jobs=1)
    model.fit(features)
    return PoseMap("umap", model)


_LEFT = np.array([i for i, j in enumerate(MIRROR_PERMUTATION) if i < j])
_RIGHT = np.array([MIRROR_PERMUTATION[i] for i in _LEFT])


def fold_mirrored(keypoints) -> np.ndarray:
    """Poses (N, 17, 3) with each one and its mirror image made the same: a pose whose left
    side sits lower than its right (its left-minus-right heights, summed over the confidently
    seen left/right pairs, are positive in image y, which points down) is mirrored. Mirroring
    swaps the two sides' roles, so it flips the sign of that sum and a pose and its mirror
    image fold onto one pose."""
    keypoints = np.asarray(keypoints, np.float32)
    seen = np.minimum(keypoints[:, _LEFT, 2], keypoints[:, _RIGHT, 2])
    lean = ((keypoints[:, _LEFT, 1] - keypoints[:, _RIGHT, 1]) * seen).sum(axis=1)
    folded = keypoints.copy()
    flip = lean > 0
    folded[flip] = mirror_keypoints(keypoints[flip])
    return folded


def _features(vectors) -> np.ndarray:
    return np.atleast_2d(np.asarray(vectors, np.float64))[:, XY]
