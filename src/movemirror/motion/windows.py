"""Windows of a track and how far one is from a movement: the maths, as pure functions.

A movement is T poses (vectors, movemirror.vectors) at times tau_0 < ... < tau_{T-1} = 0,
seconds before its last pose. The window of a track that ends at bank time e, played at speed
s, shows at query time tau the track's pose at e + s * tau, resampled: the two poses either
side, linearly interpolated, their x/y part renormalised. Its distance from the movement is

    mean_i d(q_i, b_i)  +  VELOCITY_WEIGHT * mean_i |(q_i - q_i') - (b_i - b_i')|
                        +  ROOT_WEIGHTS[metric] * mean_i |r(q)_i - r(b)_i|
                        +  TORSO_WEIGHTS[metric] * mean_i torso(q_i, b_i)

where d is the per-pose distance of search (movemirror.distances), b_i the window's pose at
tau_i, and q_i', b_i' the poses VELOCITY_STEP seconds (of query time) earlier: the second term
compares how each pose changes (its x/y part), over the frames i that have such an earlier
pose. The third compares how the body moves as a whole, which each pose's own box hides:
r(.)_i is the root trajectory (movemirror.motion.root), the box centre's shift and the log of
the box size at tau_i relative to the last pose's box (the window's root is interpolated as
its poses are). The fourth is the `torso` distance (movemirror.distances) of the poses' torso
vectors (movemirror.torso_vectors, the window's interpolated), over the poses i where the
movement's pose has one: joints about the torso, which a box hides less of (an unsure ankle
does not move every coordinate). A bank pose without a torso (no confident shoulder or hip)
has a torso vector of zeros, a pose with no shape, so it is far from any movement's pose;
were such poses left out of the mean, a window of them would pay no torso term at all and
beat every window that has one (Penn Action's guitar players, whose shoulders and hips are
unlabelled in some clips, were then the exhaustive search's best window for two movements
in five, whatever the action). s is the query's
speed relative to the clip: 0.75 means you move at 0.75x the clip's pace, and the window
covers 0.75 of your duration of the clip.

Coarse features, for the window index: for a window ending at a pose, its resampled poses
OFFSETS bank seconds before the end, projected on the bank's first few principal axes, and
their root trajectory times ROOT_WEIGHT (so the index's L1 approximates the same sum, coarsely).
The poses are their torso vectors (INDEX_FEATURES "torso"; their x/y part scaled to unit
length, as resampling does) or their box vectors ("box"); an
offset before the track's start gets NO_HISTORY in each of its features, far from any pose,
so that a movement long enough to need it does not find that window.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from movemirror.distances import BOX_VECTOR_METRICS, pair_distance
from movemirror.motion.root import ROOT_DIM
from movemirror.vectors import CONFIDENCE_SUM, VECTOR_DIM, XY_DIM

DEFAULT_K = 5  # windows a movement search returns unless asked for more
# Windows are compared on the bank's stored (box) vectors, so movement search takes the
# metrics of those vectors only (not "torso", which has vectors of its own); cosine unless
# asked.
MOTION_METRIC = "cosine"
MOTION_METRICS = BOX_VECTOR_METRICS
SLOWEST, FASTEST = 2 / 3, 3 / 2
# Speeds tried: 9 steps of 10.7 % from 0.67x to 1.5x, with 1x among them.
SPEEDS = tuple(SLOWEST * (FASTEST / SLOWEST) ** (j / 8) for j in range(9))
VELOCITY_STEP = 0.2  # seconds of query time over which a pose's change is compared
VELOCITY_WEIGHT = 1.0
# Weight of the root trajectory's mean difference, per metric (their per-pose distances have
# scales of their own); tuned on the training clips only (scripts/tune_motion.py --folds 3):
# cosine 1.5, top-1 +0.020 over none; weighted 0.5, +0.016 (at 1.5: -0.003).
ROOT_WEIGHTS = {"cosine": 1.5, "weighted": 0.5}
ROOT_WEIGHT = ROOT_WEIGHTS[MOTION_METRIC]  # the default metric's, also the index features'
# Weight of the torso distance's mean, per metric; tuned on the training clips only
# (scripts/tune_motion.py --folds 3 --torso-weights ...): see docs/movement-search.md.
TORSO_WEIGHTS = {"cosine": 3.0, "weighted": 0.0}
# Window features: poses this many bank seconds before a window's end, each projected on
# FEATURE_AXES principal axes of the bank's poses.
OFFSETS = (0.0, 0.3, 0.6, 1.0, 1.5, 2.0)
FEATURE_AXES = 8
# Which vectors of a window's poses the index projects: "torso" (their torso vectors; on the
# training clips the index then finds more of the exhaustive search's best tracks at the same
# cost, now that the distance has the torso term) or "box" (the stored vectors).
FEATURE_KINDS = ("box", "torso")
INDEX_FEATURES = "torso"
NO_HISTORY = 4.0  # projected unit vectors lie within [-1, 1]


@njit(cache=True, inline="always")
def _locate(times, first, stop, t, hint):
    """The pose p in [first, stop - 2] with times[p] <= t < times[p + 1] (clamped), searched
    forward from hint (queries come in increasing time)."""
    p = max(hint, first)
    while p < stop - 2 and times[p + 1] <= t:
        p += 1
    return p


@njit(cache=True, fastmath=True)
def resample_into(vectors, times, first, stop, t, hint, out):
    """out = the track's pose at time t (clamped to the track), as a vector; returns the
    pose before t, the hint for a later time."""
    p = _locate(times, first, stop, t, hint)
    span = times[p + 1] - times[p]
    f = min(1.0, max(0.0, (t - times[p]) / span))
    norm = 0.0
    for d in range(VECTOR_DIM):
        value = (1.0 - f) * np.float64(vectors[p, d]) + f * np.float64(vectors[p + 1, d])
        out[d] = value
        if d < XY_DIM:
            norm += value * value
    norm = np.sqrt(norm)
    if norm > 0.0:
        for d in range(XY_DIM):
            out[d] /= norm
    return p


@njit(cache=True, fastmath=True)
def window_distances(query, query_change, change_mask, tau, vectors, times, track_first,
                     track_stop, track_of, ends, speeds, kernel, velocity_weight, step,
                     query_root, roots, root_weight, query_torso, torso, torso_weight):
    """The distance of each window (ends[c], speeds[c]) from the movement; inf for a window
    that does not fit in its track.

    query (T, 52) and tau (T,) are the movement; query_change (T, 34) is q_i - q_i' (rows with
    change_mask False are not used). vectors (M, 52) and times (M,) are the tracks' poses end
    to end; ends index them. query_root (T, 3) is the movement's root trajectory and roots
    (M, 3) the poses' roots (movemirror.motion.root). query_torso (T, 52) and torso (M, 52)
    are torso vectors (movemirror.torso_vectors); a weight sum of 0 marks a pose without one.
    """
    out = np.empty(len(ends), np.float64)
    n = query.shape[0]
    moving = 0
    for i in range(n):
        moving += change_mask[i]
    b = np.empty(VECTOR_DIM, np.float64)
    earlier = np.empty(VECTOR_DIM, np.float64)
    for c in range(len(ends)):
        e, s = ends[c], speeds[c]
        j = track_of[e]
        first, stop = track_first[j], track_stop[j]
        end_time = times[e]
        if end_time + s * tau[0] < times[first] - 1e-9:
            out[c] = np.inf
            continue
        total, change, root, torso_total, torso_count = 0.0, 0.0, 0.0, 0.0, 0
        hint, hint_earlier = first, first
        end_x, end_y, end_log = roots[e, 0], roots[e, 1], roots[e, 2]
        end_side = np.exp(end_log)
        for i in range(n):
            t = end_time + s * tau[i]
            hint = resample_into(vectors, times, first, stop, t, hint, b)
            total += pair_distance(query[i], b, kernel)
            if root_weight > 0.0:
                f = min(1.0, max(0.0, (t - times[hint]) / (times[hint + 1] - times[hint])))
                dx = ((1.0 - f) * roots[hint, 0] + f * roots[hint + 1, 0] - end_x) / end_side
                dy = ((1.0 - f) * roots[hint, 1] + f * roots[hint + 1, 1] - end_y) / end_side
                dl = (1.0 - f) * roots[hint, 2] + f * roots[hint + 1, 2] - end_log
                dx -= query_root[i, 0]
                dy -= query_root[i, 1]
                dl -= query_root[i, 2]
                root += np.sqrt(dx * dx + dy * dy + dl * dl)
            if torso_weight > 0.0 and query_torso[i, CONFIDENCE_SUM] > 0.0:
                f = min(1.0, max(0.0, (t - times[hint]) / (times[hint + 1] - times[hint])))
                part = 0.0
                for d in range(XY_DIM):
                    value = (1.0 - f) * torso[hint, d] + f * torso[hint + 1, d]
                    part += query_torso[i, XY_DIM + d // 2] * abs(query_torso[i, d] - value)
                torso_total += part / query_torso[i, CONFIDENCE_SUM]
                torso_count += 1
            if change_mask[i]:
                hint_earlier = resample_into(vectors, times, first, stop,
                                             end_time + s * (tau[i] - step), hint_earlier,
                                             earlier)
                sq = 0.0
                for d in range(XY_DIM):
                    diff = query_change[i, d] - (b[d] - earlier[d])
                    sq += diff * diff
                change += np.sqrt(sq)
        out[c] = (total / n + root_weight * root / n
                  + (velocity_weight * change / moving if moving else 0.0)
                  + (torso_weight * torso_total / torso_count if torso_count else 0.0))
    return out


@njit(cache=True)
def window_features(vectors, times, track_first, track_stop, track_of, offsets, axes, roots,
                    root_scale):
    """(M, len(offsets) * (axes rows + 3)) features of the windows ending at each pose: its
    track's poses offsets[m] seconds earlier, projected on axes, then their roots relative to
    the window's last pose's (movemirror.motion.root) times root_scale (NO_HISTORY before its
    start)."""
    m_count, r_count = len(offsets), axes.shape[0]
    width = r_count + ROOT_DIM
    out = np.empty((len(times), m_count * width), np.float32)
    b = np.empty(VECTOR_DIM, np.float64)
    for e in range(len(times)):
        j = track_of[e]
        end_side = np.exp(roots[e, 2])
        for m in range(m_count):
            at = times[e] - offsets[m]
            if at < times[track_first[j]] - 1e-9:
                out[e, m * width:(m + 1) * width] = NO_HISTORY
                continue
            p = resample_into(vectors, times, track_first[j], track_stop[j], at,
                              track_first[j], b)
            for r in range(r_count):
                total = 0.0
                for d in range(XY_DIM):
                    total += axes[r, d] * b[d]
                out[e, m * width + r] = total
            f = min(1.0, max(0.0, (at - times[p]) / (times[p + 1] - times[p])))
            for d in range(ROOT_DIM):
                value = (1.0 - f) * roots[p, d] + f * roots[p + 1, d] - roots[e, d]
                if d < 2:
                    value /= end_side
                out[e, m * width + r_count + d] = root_scale * value
    return out


def query_resampled(query: np.ndarray, tau: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The movement's poses at times `at` (within [tau_0, 0]), resampled as windows are."""
    out = np.empty((len(at), VECTOR_DIM), np.float64)
    _resample_rows(query, tau, np.asarray(at, dtype=np.float64), out)
    return out


@njit(cache=True)
def _resample_rows(vectors, times, at, out):
    for row in range(len(at)):
        # (int64 zeros, as window_features passes: literal ones compile resample_into again)
        resample_into(vectors, times, np.int64(0), len(times), at[row], np.int64(0), out[row])


def query_change(query: np.ndarray, tau: np.ndarray, step: float = VELOCITY_STEP):
    """(q_i - q_i' for each pose, which poses have an earlier pose step seconds before)."""
    mask = tau - step >= tau[0] - 1e-9
    earlier = query_resampled(query, tau, np.maximum(tau - step, tau[0]))
    change = query[:, :XY_DIM].astype(np.float64) - earlier[:, :XY_DIM]
    return np.ascontiguousarray(change), mask


def query_features(query: np.ndarray, tau: np.ndarray, root: np.ndarray, speeds,
                   axes: np.ndarray, offsets=OFFSETS, root_scale: float = ROOT_WEIGHT
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The movement's coarse features at each speed, and their weights, (len(speeds), D)
    each: the poses offsets[m] / s seconds before its end, projected, and their roots (root:
    the movement's root trajectory) times root_scale; an offset before its first pose weighs
    nothing."""
    speeds = np.atleast_1d(np.asarray(speeds, dtype=np.float64))
    at = (-np.asarray(offsets, dtype=np.float64)[None, :] / speeds[:, None]).reshape(-1)
    present = at >= tau[0] - 1e-9
    at = np.maximum(at, tau[0])
    poses = query_resampled(query, tau, at)
    roots = np.stack([np.interp(at, tau, root[:, d]) for d in range(ROOT_DIM)], axis=1)
    features = np.concatenate([poses[:, :XY_DIM] @ axes.T, root_scale * roots], axis=1)
    weights = np.repeat(present.reshape(len(speeds), -1), axes.shape[0] + ROOT_DIM, axis=1)
    weights = weights / weights.sum(axis=1, keepdims=True)
    return (features.astype(np.float32).reshape(len(speeds), -1),
            weights.astype(np.float32))
