"""A 2-D map of pose space: UMAP (umap-learn, the `coverage` extra) where installed, else PCA.

The map is fitted on a sample of the bank's pose vectors (their normalised x/y part, where
Euclidean distance is Move Mirror's cosine distance) and every other pose, of the bank or a
reference set, is placed on it by the fitted transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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
    if method is None:
        method = "umap" if umap_available() else "pca"
    if method not in METHODS:
        raise ValueError(f"map method must be one of {', '.join(METHODS)}, not {method!r}")
    features = _features(vectors)
    if len(features) < 3:
        raise ValueError(f"a map needs at least 3 poses, got {len(features)}")
    rng = np.random.default_rng(seed)
    if len(features) > sample:
        features = features[np.sort(rng.choice(len(features), sample, replace=False))]
    if method == "pca":
        mean = features.mean(axis=0)
        _, _, vt = np.linalg.svd(features - mean, full_matrices=False)
        return PoseMap("pca", (mean, vt[:2].T))
    import umap

    model = umap.UMAP(n_components=2, n_neighbors=min(15, len(features) - 1),
                      random_state=seed, n_jobs=1)
    model.fit(features)
    return PoseMap("umap", model)


def _features(vectors) -> np.ndarray:
    return np.atleast_2d(np.asarray(vectors, np.float64))[:, XY]
