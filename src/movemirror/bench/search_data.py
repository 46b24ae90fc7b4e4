"""Banks and queries for the search benchmark, from Penn Action's real poses.

Queries come from clips that are not in the bank: frames of one clip are near-duplicates,
and queries from the bank's own clips would flatter every index. Banks larger than the real
poses are enlarged with mirrored copies under small random similarity transforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.distances import VALID_METRICS
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import to_vectors

MAX_ROTATION = np.deg2rad(15.0)
SCALE_RANGE = (0.8, 1.25)
_CHUNK = 500_000  # poses vectorised at a time, to bound the float64 work arrays


@dataclass(frozen=True)
class Split:
    bank_poses: np.ndarray  # (B, 17, 3) real poses from the bank's clips, shuffled
    bank_clips: np.ndarray  # (B,)
    query_vectors: np.ndarray  # (Q, 52) from held-out clips
    query_poses: np.ndarray  # (Q, 17, 3) the same queries as keypoints in pixels
    query_clips: np.ndarray  # (Q,)
    held_out_clips: int


def split_by_clip(keypoints, clips, held_out_poses: int, queries: int, seed: int = 0) -> Split:
    """Hold out whole clips until they hold at least held_out_poses poses; draw queries there."""
    # Poses every registered metric can vectorise, so that all are timed on the same poses.
    ok = np.ones(len(keypoints), bool)
    for metric in VALID_METRICS.values():
        ok &= np.array([p is None for p in metric.problems(keypoints)], bool)
    keypoints, clips = keypoints[ok], clips[ok]
    rng = np.random.default_rng(seed)
    order = rng.permutation(np.unique(clips))
    sizes = np.array([np.count_nonzero(clips == c) for c in order])
    cut = int(np.searchsorted(np.cumsum(sizes), held_out_poses)) + 1
    held_out = np.isin(clips, order[:cut])
    chosen = rng.choice(np.flatnonzero(held_out), min(queries, held_out.sum()), replace=False)
    shuffled = rng.permutation(np.flatnonzero(~held_out))
    return Split(keypoints[shuffled], clips[shuffled], to_vectors(keypoints[chosen]),
                 keypoints[chosen], clips[chosen], cut)


def similarity_transform(poses: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotate each pose by up to MAX_ROTATION and scale it, about its mean keypoint."""
    n = len(poses)
    return rotate_and_scale(poses, rng.uniform(-MAX_ROTATION, MAX_ROTATION, n),
                            rng.uniform(*SCALE_RANGE, n))


def rotate_and_scale(poses: np.ndarray, angle: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rotate pose i by angle[i] radians and scale it by scale[i], about its mean keypoint."""
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    matrix = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    xy = poses[..., :2]
    centre = xy.mean(axis=1, keepdims=True)
    out = poses.copy()
    out[..., :2] = np.einsum("nij,nkj->nki", matrix, xy - centre) + centre
    return out


def bank_vectors(real_poses: np.ndarray, size: int, seed: int = 0,
                 vectorise=to_vectors) -> tuple[np.ndarray, bool]:
    """size bank vectors (by `vectorise`, a metric's): the real poses first, then transformed
    (half mirrored) copies.

    Returns the vectors and whether any are synthetic.
    """
    if size <= len(real_poses):
        return _vectorise(real_poses[:size], vectorise), False
    rng = np.random.default_rng(seed)
    parts = [_vectorise(real_poses, vectorise)]
    made = len(real_poses)
    while made < size:
        n = min(_CHUNK, size - made)
        source = real_poses[rng.integers(0, len(real_poses), n)]
        mirrored = rng.random(n) < 0.5
        source[mirrored] = mirror_keypoints(source[mirrored])
        parts.append(_vectorise(similarity_transform(source, rng), vectorise))
        made += n
    return np.concatenate(parts), True


def _vectorise(poses: np.ndarray, vectorise) -> np.ndarray:
    return np.concatenate([vectorise(poses[s : s + _CHUNK])
                           for s in range(0, len(poses), _CHUNK)])
