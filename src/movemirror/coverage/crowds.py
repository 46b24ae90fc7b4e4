"""Crowds: clusters of near-identical poses (one moment kept many times, one athlete's hundred
frames), with their share of the bank.

Near-identical means within the deduplicator's threshold (movemirror.ingest.dedup) in Move
Mirror's cosine distance. On a sample of the bank, the pose with the most near-identical
neighbours founds a crowd of itself and all of them, then the next among those left, and so
on: every crowd lies within the threshold of its founder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.ingest.dedup import DEFAULT_THRESHOLD
from movemirror.vectors import XY

CROWD_SAMPLE = 5000  # bank poses examined
MIN_CROWD = 5  # poses; fewer are not a crowd
_BLOCK = 1024  # rows per block of the pairwise distances


@dataclass(frozen=True)
class Crowd:
    founder: int  # row of the bank
    members: np.ndarray  # rows of the bank, the founder first
    share: float  # of the poses examined

    @property
    def redundant(self) -> int:
        """The members beyond the founder: what deduplication at this threshold could drop."""
        return len(self.members) - 1


@dataclass(frozen=True)
class Crowds:
    crowds: list[Crowd]  # largest first
    examined: int  # poses of the sample
    threshold: float

    @property
    def redundant_share(self) -> float:
        return sum(c.redundant for c in self.crowds) / max(self.examined, 1)


def find_crowds(vectors, threshold: float = DEFAULT_THRESHOLD, min_size: int = MIN_CROWD,
                sample: int = CROWD_SAMPLE, seed: int = 0) -> Crowds:
    """The crowds among up to `sample` of a bank's vectors (N, 52)."""
    vectors = np.asarray(vectors)
    rows = np.arange(len(vectors))
    if len(vectors) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(vectors), sample, replace=False))
    xy = np.asarray(vectors[rows], np.float64)[:, XY]
    xy /= np.linalg.norm(xy, axis=1, keepdims=True)
    neighbours = _neighbours(xy, threshold)
    free = np.ones(len(rows), bool)
    crowds = []
    for founder in np.argsort([-len(n) for n in neighbours], kind="stable"):
        if not free[founder]:
            continue
        members = [founder] + [j for j in neighbours[founder] if free[j] and j != founder]
        if len(members) < min_size:
            continue
        free[members] = False
        crowds.append(Crowd(int(rows[founder]), rows[members], len(members) / len(rows)))
    crowds.sort(key=lambda c: (-len(c.members), c.founder))
    return Crowds(crowds, len(rows), threshold)


def _neighbours(unit_xy: np.ndarray, threshold: float) -> list[np.ndarray]:
    """For each row, the rows within threshold of it (itself included), nearest first."""
    out = []
    for start in range(0, len(unit_xy), _BLOCK):
        block = unit_xy[start:start + _BLOCK]
        chord = np.sqrt(np.maximum(2.0 - 2.0 * block @ unit_xy.T, 0.0))
        for row in chord:
            near = np.flatnonzero(row <= threshold)
            out.append(near[np.argsort(row[near], kind="stable")])
    return out
