"""A bank's coverage in one pass: its map, regions, crowds, keypoints seen and, against a
reference set, its holes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.arguments import flag
from movemirror.coverage.clusters import kmeans, medoid
from movemirror.coverage.crowds import Crowds, find_crowds
from movemirror.coverage.describe import shared_phrases
from movemirror.coverage.holes import COVERAGE_METRIC, Holes, find_holes
from movemirror.coverage.map import MAP_SAMPLE, PoseMap, fit_map, fold_mirrored
from movemirror.distances import BOX_VECTOR_METRICS
from movemirror.errors import UnknownMetricError
from movemirror.keypoints import KEYPOINT_NAMES
from movemirror.vectors import MIN_SCORE, XY, as_pose_batch, to_vectors

REGIONS = 8  # the map's regions, each shown by its medoid


@dataclass(frozen=True)
class Region:
    medoid: int  # row of the bank
    share: float  # of the bank poses drawn on the map
    phrases: tuple[str, ...]
    position: np.ndarray  # (2,) the medoid on the map


@dataclass(frozen=True)
class Coverage:
    bank_size: int
    metric: str
    mirror: bool
    map: PoseMap
    drawn: np.ndarray  # rows of the bank drawn on the map
    drawn_xy: np.ndarray  # (len(drawn), 2)
    regions: list[Region]  # largest first
    crowds: Crowds
    seen: dict[str, float]  # per keypoint, the share of bank poses where it is confident
    reference: np.ndarray | None  # (R, 17, 3) the vectorisable reference poses
    reference_xy: np.ndarray | None  # (R, 2)
    holes: Holes | None


def keypoints_seen(keypoints: np.ndarray, min_score: float = MIN_SCORE) -> dict[str, float]:
    """Per keypoint name, the share of poses (N, 17, 3) where its score is at least min_score."""
    if not len(keypoints):
        return dict.fromkeys(KEYPOINT_NAMES, 0.0)
    shares = (np.asarray(keypoints)[..., 2] >= min_score).mean(axis=0)
    return {name: float(s) for name, s in zip(KEYPOINT_NAMES, shares, strict=True)}


def check_coverage_metric(metric) -> None:
    """UnknownMetricError unless coverage can measure with metric: the map and the crowds are
    on the bank's stored vectors, so the holes are measured alike."""
    if not (isinstance(metric, str) and metric in BOX_VECTOR_METRICS):
        raise UnknownMetricError(f"coverage takes {' or '.join(BOX_VECTOR_METRICS)}, "
                                 f"not {metric!r}")


def analyse(bank, reference=None, metric: str = COVERAGE_METRIC, mirror: bool = False,
            map_method: str | None = None, sample: int = MAP_SAMPLE, seed: int = 0) -> Coverage:
    """Everything the report shows. reference: poses (R, 17, 3) or one (17, 3) in pixels, all
    vectorisable (see movemirror.vectors.pose_problems; PoseError otherwise, as for another
    shape), or None for no holes."""
    check_coverage_metric(metric)
    mirror = flag(mirror, "mirror")
    vectors = np.asarray(bank.vectors)
    keypoints = bank.keypoints
    # mirror: a pose and its mirror image take one place on the map
    map_vectors = to_vectors(fold_mirrored(keypoints)) if mirror else vectors
    pose_map = fit_map(map_vectors, map_method, sample, seed)
    drawn = drawn_rows(len(bank), sample, seed)
    drawn_xy = pose_map.place(map_vectors[drawn])
    regions, _ = find_regions(keypoints, vectors, drawn, drawn_xy, seed)
    holes = reference_xy = None
    if reference is not None:
        reference = as_pose_batch(reference)
        holes = find_holes(bank, reference, metric, mirror, seed=seed)
        placed = fold_mirrored(reference) if mirror else reference
        reference_xy = pose_map.place(to_vectors(placed)) if len(reference) else (
            np.empty((0, 2), np.float32))
    return Coverage(len(bank), metric, mirror, pose_map, drawn, drawn_xy, regions,
                    find_crowds(vectors, seed=seed), keypoints_seen(keypoints), reference,
                    reference_xy, holes)


def drawn_rows(size: int, sample: int = MAP_SAMPLE, seed: int = 0) -> np.ndarray:
    """The bank rows drawn on the map, in row order: a bank of up to `sample` poses whole,
    else a random sample of that many. The report and the page's map draw these same rows in
    this same order, so that k-means finds, and numbers, the same regions for both."""
    if size <= sample:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, sample, replace=False))


def find_regions(keypoints, vectors, drawn, drawn_xy, seed: int = 0
                 ) -> tuple[list[Region], np.ndarray]:
    """The map's regions (k-means on the drawn poses' x/y), largest first, and for each drawn
    pose the number of its region in that list."""
    xy = np.asarray(vectors[drawn], np.float64)[:, XY]
    labels = kmeans(xy, REGIONS, seed)
    regions = []
    for label in range(labels.max() + 1 if len(labels) else 0):
        members = np.flatnonzero(labels == label)
        centre = members[medoid(xy[members])]
        regions.append((Region(int(drawn[centre]), len(members) / len(drawn),
                               shared_phrases(keypoints[drawn[members]]), drawn_xy[centre]),
                        label))
    regions.sort(key=lambda pair: (-pair[0].share, pair[0].medoid))
    renumber = np.empty(len(regions), np.int64)
    for n, (_, label) in enumerate(regions):
        renumber[label] = n
    return [region for region, _ in regions], renumber[labels]
