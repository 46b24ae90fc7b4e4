"""search_motion: the windows of a bank's tracks that move most like a movement.

The distance of a window is movemirror.motion.windows'. Finding the best windows of every
track exactly means scoring every (end pose, speed) pair: M poses x 9 speeds, each a pass over
the movement's T poses (`exhaustive=True` does that; it is the reference). The default search
is faster and approximate: for each speed, the window index (movemirror.index.features: a
box tree over the windows' coarse features, of their poses' torso vectors unless asked
for box vectors (INDEX_FEATURES), one window ending at each pose of each track)
yields the CANDIDATES windows nearest by coarse features that fit in their tracks (more, four
times as many at a time, until they hold k tracks or every window); each track keeps its
PER_TRACK_SPEED best of each speed; these are scored on a sketch of the movement
(SKETCH_POSES of its poses), each track keeps its PER_TRACK best, and these are scored
exactly. The distances returned are exact for their windows; what can be missed is a better
window the candidates did not include. Its recall against the exhaustive search is measured
by the tests and by `movemirror bench motion`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from movemirror.arguments import flag, whole_number
from movemirror.distances import VALID_METRICS, check_metric
from movemirror.errors import InvalidArgumentError, MotionError, PoseError, UnknownMetricError
from movemirror.index.features import FeatureTree
from movemirror.index.partition import principal_axes
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.root import pose_roots, relative_roots
from movemirror.motion.tracks import Tracks
from movemirror.motion.windows import (
    DEFAULT_K,
    FEATURE_AXES,
    FEATURE_KINDS,
    INDEX_FEATURES,
    MOTION_METRIC,
    MOTION_METRICS,
    OFFSETS,
    ROOT_WEIGHT,
    ROOT_WEIGHTS,
    SPEEDS,
    TORSO_WEIGHTS,
    VELOCITY_STEP,
    VELOCITY_WEIGHT,
    query_change,
    query_features,
    window_distances,
    window_features,
)
from movemirror.torso_vectors import to_torso_vectors, torso_problems
from movemirror.vectors import VECTOR_DIM, XY, as_pose_array, to_vectors

# Chosen for speed at the same agreement on the training folds (docs/movement-search.md).
CANDIDATES = 128  # windows the index yields per speed,
COARSE_EPSILON = 2.0  # (1 + epsilon)-approximately
PER_TRACK_SPEED = 8  # of which each track keeps this many per speed (by coarse features),
SKETCH_POSES = 8  # scored on this many of the movement's poses;
PER_TRACK = 2  # then each track keeps at most this many, scored on all of them


class MotionMatch(NamedTuple):
    """A window of a track: bank seconds start to end, played at speed to follow you."""

    track: str
    start: float
    end: float
    speed: float  # your pace relative to the clip's (the window lasts speed x your duration)
    distance: float
    mirrored: bool  # matched by the movement mirrored left-right
    row: int  # the bank row of the track's pose at (or just before) the window's start


class _Movement(NamedTuple):
    vectors: np.ndarray  # (T, 52)
    tau: np.ndarray  # (T,) seconds before the last pose
    change: np.ndarray  # (T, 34)
    change_mask: np.ndarray  # (T,) bool
    root: np.ndarray  # (T, 3) root trajectory relative to the last pose
    torso: np.ndarray  # (T, 52) torso vectors (a weight sum of 0: the pose has none)


def check_movement(poses, times) -> tuple[np.ndarray, np.ndarray]:
    """Poses (T, 17, 3) and times (T,) as arrays; MotionError unless T >= 2 and the times
    are finite and increasing."""
    poses = as_pose_array(poses)
    try:
        times = np.asarray(times, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:  # text, a dict, None among numbers
        raise MotionError(f"the poses' times must be seconds (numbers): {error}") from None
    if len(poses) < 2:
        raise MotionError(f"a movement needs at least 2 poses, got {len(poses)}")
    if len(times) != len(poses):
        raise MotionError(f"{len(times)} times for {len(poses)} poses")
    if not np.isfinite(times).all() or (np.diff(times) <= 0).any():
        raise MotionError("the poses' times must be finite seconds, strictly increasing")
    return poses, times


class MotionIndex:
    """A bank's moving tracks, ready for search_motion; built once per bank."""

    def __init__(self, bank_vectors: np.ndarray, bank_keypoints: np.ndarray, tracks: Tracks,
                 offsets=OFFSETS, feature_axes: int = FEATURE_AXES,
                 velocity_weight: float = VELOCITY_WEIGHT,
                 velocity_step: float = VELOCITY_STEP, root_weight: float | None = None,
                 root_feature_scale: float | None = None, torso_weight: float | None = None,
                 features: str = INDEX_FEATURES, coarse_epsilon: float = COARSE_EPSILON):
        if features not in FEATURE_KINDS:
            raise InvalidArgumentError(f"features must be one of {', '.join(FEATURE_KINDS)}, "
                                       f"not {features!r}")
        self.tracks = tracks
        self.features = features
        self.coarse_epsilon = float(coarse_epsilon)
        self.velocity_weight = float(velocity_weight)
        # root_weight: one weight for every metric (tuning); None: ROOT_WEIGHTS'
        self.root_weights = dict(ROOT_WEIGHTS) if root_weight is None else {
            metric: float(root_weight) for metric in MOTION_METRICS}
        # torso_weight: one weight for every metric (tuning); None: TORSO_WEIGHTS'
        self.torso_weights = dict(TORSO_WEIGHTS) if torso_weight is None else {
            metric: float(torso_weight) for metric in MOTION_METRICS}
        if root_feature_scale is None:
            root_feature_scale = ROOT_WEIGHT if root_weight is None else root_weight
        self.root_feature_scale = float(root_feature_scale)
        self.velocity_step = float(velocity_step)
        self.offsets = np.asarray(offsets, dtype=np.float64)
        self.vectors = np.ascontiguousarray(np.asarray(bank_vectors)[tracks.rows],
                                            dtype=np.float32)
        self.times = np.ascontiguousarray(tracks.times, dtype=np.float64)
        self.roots = pose_roots(np.asarray(bank_keypoints)[tracks.rows]) if len(
            tracks.rows) else np.empty((0, 3))
        self.torso = torso_vectors(np.asarray(bank_keypoints)[tracks.rows])
        self.track_of = np.repeat(np.arange(len(tracks), dtype=np.int64),
                                  tracks.stop - tracks.first)
        self.first = np.ascontiguousarray(tracks.first, dtype=np.int64)
        self.stop = np.ascontiguousarray(tracks.stop, dtype=np.int64)
        if len(self.vectors):
            self.feature_axes = self._principal_axes(feature_axes)
            windows = window_features(self._feature_vectors, self.times, self.first,
                                      self.stop, self.track_of, self.offsets,
                                      self.feature_axes, self.roots, self.root_feature_scale)
        else:
            self.feature_axes = np.eye(feature_axes, XY.stop)
            windows = np.empty((0, len(self.offsets) * (feature_axes + 3)), np.float32)
        self.tree = FeatureTree(windows)

    @property
    def _feature_vectors(self) -> np.ndarray:
        return self.torso if self.features == "torso" else self.vectors

    def _principal_axes(self, count: int) -> np.ndarray:
        """The first count principal axes of the feature vectors' x/y part, each normalised
        as resampling does (poses without a torso left out)."""
        xy = self._feature_vectors[:, XY].astype(np.float64)
        norm = np.linalg.norm(xy, axis=1)
        xy = xy[norm > 0] / norm[norm > 0, None]
        if not len(xy):
            return np.eye(count, XY.stop)
        return np.ascontiguousarray(principal_axes(xy)[:count])

    def __len__(self) -> int:
        return len(self.times)

    @property
    def nbytes(self) -> int:
        return (self.vectors.nbytes + self.times.nbytes + self.roots.nbytes + self.torso.nbytes
                + self.track_of.nbytes + self.tree.nbytes)

    def search(self, poses, times, k: int = DEFAULT_K, metric: str = MOTION_METRIC,
               mirror: bool = False, exhaustive: bool = False) -> list[MotionMatch]:
        """The k best windows, best first, each track at most once (see the module)."""
        if not (isinstance(metric, str) and metric in VALID_METRICS):  # "likeness" too
            raise UnknownMetricError(f"movement search takes {' or '.join(MOTION_METRICS)}, "
                                     f"not {metric!r}")
        spec = check_metric(metric)
        if spec.vectorise is not to_vectors:
            raise UnknownMetricError(
                f"movement search compares the bank's stored vectors: metric {metric!r} has "
                f"vectors of its own; choose one of {', '.join(MOTION_METRICS)}")
        kernel, weights = spec.kernel, (self.root_weights[spec.name],
                                        self.torso_weights[spec.name])
        k = whole_number(k, "k")
        mirror, exhaustive = flag(mirror, "mirror"), flag(exhaustive, "exhaustive")
        poses, times = check_movement(poses, times)
        if not len(self):
            return []
        sides = [(poses, False)] + ([(mirror_keypoints(poses), True)] if mirror else [])
        found = []
        for side, flipped in sides:
            movement = _prepare(side, times, self.velocity_step)
            ends, speeds = self._candidates(movement, exhaustive, kernel, weights, k)
            distances = self._distances(movement, ends, speeds, kernel, weights)
            found.append((distances, ends, speeds, np.full(len(ends), flipped)))
        distances, ends, speeds, flipped = (np.concatenate(part)
                                            for part in zip(*found, strict=True))
        order = np.lexsort((ends, distances))
        order = order[np.isfinite(distances[order])]
        _, first = np.unique(self.track_of[ends[order]], return_index=True)
        best = order[np.sort(first)][:k]
        tau0 = times[0] - times[-1]
        return [self._match(ends[c], speeds[c], distances[c], flipped[c], tau0) for c in best]

    def _distances(self, movement: _Movement, ends, speeds, kernel: int,
                   weights: tuple[float, float]) -> np.ndarray:
        return window_distances(
            movement.vectors, movement.change, movement.change_mask, movement.tau,
            self.vectors, self.times, self.first, self.stop, self.track_of,
            np.ascontiguousarray(ends), np.ascontiguousarray(speeds), kernel,
            self.velocity_weight, self.velocity_step, movement.root, self.roots, weights[0],
            movement.torso, self.torso, weights[1])

    def _candidates(self, movement: _Movement, exhaustive: bool, kernel: int,
                    weights: tuple[float, float], k: int):
        speeds = np.asarray(SPEEDS)
        if exhaustive:
            ends = np.tile(np.arange(len(self), dtype=np.int64), len(speeds))
            return ends, np.repeat(speeds, len(self))
        features, weights_of_features = self._query_features(movement, speeds)
        count = CANDIDATES
        while True:
            coarse, ends = self.tree.search(features, weights_of_features, count,
                                            self.coarse_epsilon)
            which = np.repeat(np.arange(len(speeds)), ends.shape[1])
            coarse, ends = coarse.ravel(), ends.ravel()
            fits = self._fits(ends, speeds[which], movement.tau[0])
            coarse, ends, which = coarse[fits], ends[fits], which[fits]
            # Each track is returned once: the candidates must hold k tracks, or every window.
            if count >= len(self) or len(np.unique(self.track_of[ends])) >= k:
                break
            count *= 4
        keep = _best_of_groups(self.track_of[ends] * len(speeds) + which, coarse,
                               PER_TRACK_SPEED)
        ends, speeds = ends[keep], speeds[which[keep]]
        sketch = self._distances(_sketch(movement), ends, speeds, kernel, weights)
        keep = _best_of_groups(self.track_of[ends], sketch, PER_TRACK)
        keep = keep[np.isfinite(sketch[keep])]
        return ends[keep], speeds[keep]

    def _fits(self, ends: np.ndarray, speeds: np.ndarray, tau0: float) -> np.ndarray:
        """Which windows (ends, speeds) of a movement starting tau0 s before its end lie
        within their tracks (window_distances' test: the others are infinitely far)."""
        first = self.times[self.first[self.track_of[ends]]]
        return self.times[ends] + speeds * tau0 >= first - 1e-9

    def _query_features(self, movement: _Movement, speeds: np.ndarray):
        poses = movement.torso if self.features == "torso" else movement.vectors
        return query_features(poses, movement.tau, movement.root, speeds, self.feature_axes,
                              self.offsets, self.root_feature_scale)

    def _match(self, e, speed, distance, flipped, tau0) -> MotionMatch:
        j = int(self.track_of[e])
        end = float(self.times[e])
        start = end + float(speed) * tau0
        first, stop = self.first[j], self.stop[j]
        at = first + max(0, int(np.searchsorted(self.times[first:stop], start + 1e-9)) - 1)
        return MotionMatch(self.tracks.names[j], float(start), end, float(speed), float(distance),
                           bool(flipped), int(self.tracks.rows[at]))


def _best_of_groups(groups: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n best scores of each group."""
    order = np.lexsort((scores, groups))
    rank = np.arange(len(order)) - np.searchsorted(groups[order], groups[order])
    return order[rank < n]


def _sketch(movement: _Movement) -> _Movement:
    """The movement cut to SKETCH_POSES poses spread evenly over it, its first and last
    among them: the same window distance, cheaper and a little coarser."""
    if len(movement.tau) <= SKETCH_POSES:
        return movement
    keep = np.unique(np.linspace(0, len(movement.tau) - 1, SKETCH_POSES).round().astype(int))
    return _Movement(*(np.ascontiguousarray(part[keep]) for part in movement))


def _prepare(poses: np.ndarray, times: np.ndarray, velocity_step: float) -> _Movement:
    vectors = to_vectors(poses)
    tau = times - times[-1]
    change, mask = query_change(vectors, tau, velocity_step)
    roots = pose_roots(poses)
    return _Movement(vectors, tau, change, mask, relative_roots(roots, roots[-1]),
                     torso_vectors(poses))


def torso_vectors(poses) -> np.ndarray:
    """(N, 52) float32 torso vectors of poses (movemirror.torso_vectors); all zeros, so a
    weight sum of 0, for a pose that has none."""
    poses = as_pose_array(poses)
    try:  # the usual case, every pose with a torso: torso_problems once, not twice
        return to_torso_vectors(poses)
    except PoseError:
        pass
    out = np.zeros((len(poses), VECTOR_DIM), np.float32)
    has = np.array([problem is None for problem in torso_problems(poses)], dtype=bool)
    if has.any():
        out[has] = to_torso_vectors(poses[has])
    return out
