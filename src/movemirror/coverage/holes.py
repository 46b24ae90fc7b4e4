"""The holes of a bank: reference poses that no bank pose matches closely, grouped by kind.

A reference pose is a hole when its nearest bank pose is farther than the bank's own typical
nearest-neighbour distance: the HOLE_PERCENTILE-th percentile of the distances from a sample
of bank poses to their nearest other bank pose. Holes are grouped by k-means on their
vectors' x/y part, and the groups ranked by how many reference poses they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.coverage.clusters import kmeans, medoid
from movemirror.coverage.describe import describe, shared_phrases
from movemirror.vectors import XY, to_vectors

# Cosine, not the search default: the map, the regions and the crowds all live in the cosine
# geometry of the normalised x/y, and the planted-hole test measured the holes so.
COVERAGE_METRIC = "cosine"
HOLE_PERCENTILE = 95.0
THRESHOLD_SAMPLE = 2000  # bank poses whose nearest neighbours set the threshold
MAX_GROUPS = 6
MIN_PER_GROUP = 10  # k-means asks for about one group per this many holes (up to MAX_GROUPS)


@dataclass(frozen=True)
class HoleGroup:
    members: np.ndarray  # rows of the reference set, nearest to the medoid first
    medoid: int  # row of the reference set
    phrases: tuple[str, ...]  # what at least half of its members share (describe.RULES)
    distance: float  # the members' median distance to their nearest bank pose


@dataclass(frozen=True)
class Holes:
    threshold: float  # a reference pose farther than this from the bank is a hole
    percentile: float
    metric: str
    nearest: np.ndarray  # (R,) each reference pose's distance to its nearest bank pose
    groups: list[HoleGroup]  # largest first

    @property
    def count(self) -> int:
        return int((self.nearest > self.threshold).sum())


def bank_nn_threshold(bank, metric: str = COVERAGE_METRIC, percentile: float = HOLE_PERCENTILE,
                      sample: int = THRESHOLD_SAMPLE, mirror: bool = False,
                      seed: int = 0) -> float:
    """The percentile of the distances from up to `sample` bank poses to their nearest other
    bank pose (an exact duplicate counts: it is the nearest)."""
    if len(bank) < 2:
        raise ValueError("a bank needs at least 2 poses to have a typical neighbour distance")
    rows = np.arange(len(bank))
    if len(bank) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(bank), sample, replace=False))
    found = bank.search(bank.keypoints[rows], k=3, metric=metric, mirror=mirror)
    # The nearest pose other than the pose itself (with mirror, it may come twice).
    others = found.indices != rows[:, None]
    nearest = np.where(others, found.distances, np.inf).min(axis=1)
    return float(np.percentile(nearest, percentile))


def find_holes(bank, reference, metric: str = COVERAGE_METRIC, mirror: bool = False,
               percentile: float = HOLE_PERCENTILE, max_groups: int = MAX_GROUPS,
               seed: int = 0) -> Holes:
    """The holes of a bank against reference poses (R, 17, 3) in pixels, all vectorisable."""
    reference = np.asarray(reference, np.float32)
    threshold = bank_nn_threshold(bank, metric, percentile, mirror=mirror, seed=seed)
    nearest = (bank.search(reference, k=1, metric=metric, mirror=mirror).distances[:, 0]
               if len(reference) else np.empty(0, np.float32))
    rows = np.flatnonzero(nearest > threshold)
    groups = group_poses(reference, rows, nearest, max_groups, seed)
    return Holes(threshold, percentile, metric, nearest, groups)


def group_poses(poses: np.ndarray, rows: np.ndarray, nearest: np.ndarray,
                max_groups: int = MAX_GROUPS, seed: int = 0) -> list[HoleGroup]:
    """Group poses[rows] by k-means on their vectors' x/y part; largest group first."""
    if not len(rows):
        return []
    xy = to_vectors(poses[rows])[:, XY]
    k = min(max_groups, max(1, len(rows) // MIN_PER_GROUP))
    labels = kmeans(xy, k, seed)
    groups = []
    for label in range(labels.max() + 1):
        members = np.flatnonzero(labels == label)
        centre = members[medoid(xy[members])]
        order = np.argsort(np.linalg.norm(xy[members] - xy[centre], axis=1), kind="stable")
        members = rows[members[order]]
        groups.append(HoleGroup(members, int(rows[centre]), _phrases(poses, members),
                                float(np.median(nearest[members]))))
    groups.sort(key=lambda g: (-len(g.members), g.medoid))
    return groups


def _phrases(poses: np.ndarray, members: np.ndarray) -> tuple[str, ...]:
    shared = shared_phrases(poses[members])
    return shared or describe(poses[members[0]])


def hole_sentence(group: HoleGroup, reference_size: int) -> str:
    """"12% of the reference poses (360 of 3000), e.g. both wrists above the head, have no
    close match in the bank"."""
    share = len(group.members) / max(reference_size, 1)
    example = (f"e.g. {', '.join(group.phrases)}" if group.phrases
               else "poses the simple rules cannot name (see the drawing)")
    return (f"{share:.0%} of the reference poses ({len(group.members)} of {reference_size}), "
            f"{example}, have no close match in the bank")
