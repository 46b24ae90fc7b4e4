"""Random pose vectors for property tests: uniform, or clustered like real movement."""

from __future__ import annotations

import numpy as np

from movemirror.vectors import pose_problems, to_vectors


def random_vectors(n: int, seed: int, clustered: bool = True, duplicates: int = 0):
    """n valid pose vectors; clustered ones are noisy copies of a few base poses, and
    `duplicates` of them are exact copies of earlier rows (exact ties)."""
    rng = np.random.default_rng(seed)
    poses = []
    while len(poses) < n:
        if clustered:
            base = rng.uniform(0, 400, (4, 17, 2))
            xy = base[rng.integers(0, 4, 64)] + rng.normal(0, rng.uniform(1, 30), (64, 17, 2))
        else:
            xy = rng.uniform(0, 400, (64, 17, 2))
        scores = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], (64, 17, 1))
        batch = np.concatenate([xy, scores], axis=2).astype(np.float32)
        poses.extend(p for p, bad in zip(batch, pose_problems(batch), strict=True) if bad is None)
    vectors = to_vectors(np.stack(poses[:n]))
    if duplicates and n > 1:
        copies = rng.integers(1, n, duplicates)
        vectors[copies] = vectors[rng.integers(0, copies)]
    return vectors
