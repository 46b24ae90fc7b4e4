"""The holes of a bank: reference poses the bank has no close match for, in places of pose
space where the reference set is dense and the bank is sparse, grouped by kind.

A reference pose is a hole when both hold:
- it is far from the bank: its nearest bank pose is farther than the bank's own typical
  (median) nearest-neighbour distance, so a pose the bank holds (at or near zero distance)
  is never a hole, however many times the reference repeats it;
- the reference is denser there: among the NEIGHBOURS poses nearest to it in the bank and
  the rest of the reference set together, the reference's poses outnumber the bank's at
  least HOLE_RATIO times more than the two sets' sizes would have them (the bank holds less
  than 1/HOLE_RATIO of the poses the reference's density there calls for).
Holes are grouped by k-means on their vectors' x/y part, and the groups ranked by how many
reference poses they hold.

Why the density ratio, and not the distance alone: the first method called a reference pose
a hole when its nearest bank pose was farther than the bank's own 95th percentile of
nearest-neighbour distances. On the planted test (tests/coverage_map/test_holes.py) that
distance hardly tells the removed kind from the rest (AUC 0.54): poses that are rare
everywhere (lying, sit-ups) are as far from the bank as the missing kind, and a video bank's
own nearest neighbours are its clips' next frames, so a third of ordinary reference poses
passed for holes and the top group changed with the draw of the reference. The
reference-to-bank ratio of neighbours (AUC 0.85) asks what a curator means: do people make
this pose more often than the archive holds it. Why the distance as well: the ratio alone
calls a clump of reference poses a hole even where the bank holds the very pose (a query
log's visitors searching for a bank pose again and again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.coverage.clusters import kmeans, medoid
from movemirror.coverage.describe import describe, distinctive_phrases
from movemirror.vectors import XY, to_vectors

# Cosine, not the search default: the map, the regions and the crowds all live in the cosine
# geometry of the normalised x/y, and the planted-hole test measured the holes so.
COVERAGE_METRIC = "cosine"
NEIGHBOURS = 20  # poses around each reference pose whose mix of bank and reference is counted
HOLE_RATIO = 4.0  # reference:bank neighbours, relative to the sets' sizes, that make a hole
DENSITY_SAMPLE = 20_000  # bank poses counted as neighbours, at most (and at least R)
SPACING_SAMPLE = 5_000  # bank poses whose nearest other bank pose sets the typical distance
MAX_GROUPS = 6
MIN_PER_GROUP = 10  # k-means asks for about one group per this many holes (up to MAX_GROUPS)


@dataclass(frozen=True)
class HoleGroup:
    members: np.ndarray  # rows of the reference set, nearest to the medoid first
    medoid: int  # row of the reference set
    phrases: tuple[str, ...]  # what sets its members apart (describe.distinctive_phrases)
    distance: float  # the members' median distance to their nearest bank pose


@dataclass(frozen=True)
class Holes:
    ratio: np.ndarray  # (R,) each reference pose's density ratio (see local_density_ratio)
    min_ratio: float  # a hole's ratio is at least this ...
    neighbours: int
    metric: str
    nearest: np.ndarray  # (R,) each reference pose's distance to its nearest bank pose
    min_distance: float  # ... and its nearest bank pose farther than this (bank_spacing)
    groups: list[HoleGroup]  # largest first

    @property
    def is_hole(self) -> np.ndarray:
        return (self.ratio >= self.min_ratio) & (self.nearest > self.min_distance)

    @property
    def count(self) -> int:
        return int(self.is_hole.sum())


def local_density_ratio(bank, reference, metric: str = COVERAGE_METRIC, mirror: bool = False,
                        neighbours: int = NEIGHBOURS, sample: int = DENSITY_SAMPLE,
                        seed: int = 0) -> np.ndarray:
    """For each reference pose (R, 17, 3), how much denser the reference set is than the
    bank around it: among its `neighbours` nearest poses of the bank and of the reference
    (itself left out), (reference count / bank count) x (bank size / (R - 1)). 1 where the
    bank holds the pose as often as the reference makes it, inf where no bank pose is near.
    A bank larger than max(sample, R) is counted on a random sample of that many poses."""
    from movemirror.bank import PoseBank

    reference = np.asarray(reference, np.float32)
    if len(reference) < 2:
        return np.zeros(len(reference))
    if len(bank) > max(sample, len(reference)):
        rows = np.random.default_rng(seed).choice(len(bank), max(sample, len(reference)),
                                                  replace=False)
        bank = PoseBank.from_keypoints(bank.keypoints[np.sort(rows)])
    k = min(neighbours, len(bank), len(reference) - 1)
    to_bank = bank.search(reference, k=k, metric=metric, mirror=mirror).distances
    among = PoseBank.from_keypoints(reference).search(reference, k=k + 1, metric=metric,
                                                      mirror=mirror)
    itself = among.indices == np.arange(len(reference))[:, None]
    # Each row keeps k of the other reference poses (itself, wherever it ranks, dropped).
    to_reference = np.sort(np.where(itself, np.inf, among.distances), axis=1)[:, :k]
    distances = np.concatenate([to_bank, to_reference], axis=1)
    from_reference = np.argsort(distances, axis=1, kind="stable")[:, :k] >= k
    counted = from_reference.sum(axis=1)
    sizes = len(bank) / (len(reference) - 1)
    with np.errstate(divide="ignore"):
        return np.where(counted == k, np.inf, counted / (k - counted) * sizes)


def bank_spacing(bank, metric: str = COVERAGE_METRIC, mirror: bool = False,
                 sample: int = SPACING_SAMPLE, seed: int = 0) -> float:
    """The bank's typical nearest-neighbour distance: the median, over (a random sample of
    at most `sample` of) its poses, of each one's distance to its nearest other bank pose.
    0 for a bank of fewer than 2 poses."""
    if len(bank) < 2:
        return 0.0
    rows = np.arange(len(bank))
    if len(bank) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(bank), sample, replace=False))
    found = bank.search(bank.keypoints[rows], k=2, metric=metric, mirror=mirror)
    itself = found.indices == rows[:, None]
    # The nearest pose other than itself (itself, wherever it ranks, dropped).
    other = np.sort(np.where(itself, np.inf, found.distances), axis=1)[:, 0]
    return float(np.median(other))


def find_holes(bank, reference, metric: str = COVERAGE_METRIC, mirror: bool = False,
               min_ratio: float = HOLE_RATIO, max_groups: int = MAX_GROUPS,
               seed: int = 0) -> Holes:
    """The holes of a bank against reference poses (R, 17, 3) in pixels, all vectorisable."""
    reference = np.asarray(reference, np.float32)
    ratio = local_density_ratio(bank, reference, metric, mirror, seed=seed)
    nearest = (bank.search(reference, k=1, metric=metric, mirror=mirror).distances[:, 0]
               if len(reference) else np.empty(0, np.float32))
    min_distance = bank_spacing(bank, metric, mirror, seed=seed)
    rows = np.flatnonzero((ratio >= min_ratio) & (nearest > min_distance))
    groups = group_poses(reference, rows, nearest, max_groups, seed)
    return Holes(ratio, min_ratio, NEIGHBOURS, metric, nearest, min_distance, groups)


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
    named = distinctive_phrases(poses[members], poses)
    return named or describe(poses[members[0]])


def holes_rule(holes: Holes, mirror: bool = False) -> str:
    """The rule, in words, as the report and the command state it."""
    return (f"A reference pose is a hole when its nearest bank pose is farther than the bank's "
            f"own typical nearest-neighbour distance ({holes.min_distance:.4f}, the median; "
            f"{holes.metric} distance{', mirrored poses folded together' if mirror else ''}) "
            f"and, among its {holes.neighbours} nearest poses of the bank and the reference "
            f"together, the reference's outnumber the bank's {holes.min_ratio:g} times more "
            f"than the two sets' sizes would have them: the bank holds no close match and "
            f"less than 1/{holes.min_ratio:g} of the poses people make there.")


def hole_sentence(group: HoleGroup, reference_size: int) -> str:
    """"12% of the reference poses (360 of 3000), e.g. both wrists above the head, have no
    close match in the bank"."""
    share = len(group.members) / max(reference_size, 1)
    example = (f"e.g. {', '.join(group.phrases)}" if group.phrases
               else "poses the simple rules cannot name (see the drawing)")
    return (f"{share:.0%} of the reference poses ({len(group.members)} of {reference_size}), "
            f"{example}, have no close match in the bank")
