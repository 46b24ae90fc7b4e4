"""search_motion on real Penn Action clips, against a brute-force window search written
independently here (numpy interpolation, the registry's distance functions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import movemirror.motion.search as motion_search
from movemirror.bank import PoseBank
from movemirror.distances import distance
from movemirror.errors import InvalidArgumentError, MotionError, PoseError
from movemirror.keypoints import mirror_keypoints
from movemirror.motion.search import MotionIndex
from movemirror.motion.tracks import bank_tracks
from movemirror.motion.windows import (
    FEATURE_KINDS,
    ROOT_WEIGHTS,
    SPEEDS,
    TORSO_WEIGHTS,
    VELOCITY_STEP,
    VELOCITY_WEIGHT,
    query_features,
)
from movemirror.torso_vectors import to_torso_vectors, torso_problems
from movemirror.vectors import XY, to_vectors

FPS = 30.0


class Clips(dict):
    def __repr__(self) -> str:  # hypothesis prints its arguments when a test fails
        return f"<{len(self)} Penn Action clips>"


@pytest.fixture(scope="module")
def clips(penn_valid, penn):
    """Penn clips of at least 2.5 s, by number: (poses, times, action)."""
    keypoints, clip_of = penn_valid
    action = dict(zip(penn.clip, penn.action, strict=True))
    out = Clips()
    for clip in np.unique(clip_of)[:400]:
        poses = keypoints[clip_of == clip]
        if len(poses) >= 75:
            out[int(clip)] = (poses, np.arange(len(poses)) / FPS, action[clip])
    return out


def make_bank(clips, numbers, photos=0) -> PoseBank:
    poses = [clips[c][0] for c in numbers]
    meta = {"track": [c for c in numbers for _ in range(len(clips[c][0]))],
            "frame_time": [t for c in numbers for t in clips[c][1]]}
    if photos:
        extra = clips[numbers[0]][0][:photos]
        poses.append(extra)
        meta["track"] += [None] * photos
        meta["frame_time"] += [None] * photos
    return PoseBank.from_keypoints(np.concatenate(poses), meta=meta)


def _resample(vectors, times, at):
    out = np.stack([np.interp(at, times, vectors[:, d]) for d in range(vectors.shape[1])], 1)
    out[:, XY] /= np.linalg.norm(out[:, XY], axis=1, keepdims=True)
    return out


def _roots(poses):
    """Box centre x, y and log longer side of each pose's keypoints scored 0.2 or more."""
    out = []
    for pose in np.asarray(poses, dtype=np.float64):
        xy = pose[pose[:, 2] >= 0.2, :2]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        out.append([*(lo + hi) / 2, np.log((hi - lo).max())])
    return np.array(out)


def _root_trajectory(roots, times, at, end):
    """Roots at times `at` (interpolated) relative to the root at time end."""
    here = np.stack([np.interp(at, times, roots[:, d]) for d in range(3)], 1)
    last = np.array([np.interp(end, times, roots[:, d]) for d in range(3)])
    here[:, :2] = (here[:, :2] - last[:2]) / np.exp(last[2])
    here[:, 2] -= last[2]
    return here


def _torso_term(query_poses, track_poses, track_times, at):
    """Mean torso distance of the movement's poses from the window's (torso vectors
    interpolated between the two track poses either side; a pose without one counts as
    zeros), over the poses where the movement's pose has a torso vector."""
    def vectors(poses):
        has = np.array([problem is None for problem in torso_problems(poses)])
        out = np.zeros((len(poses), 52))
        out[has] = to_torso_vectors(poses[has])
        return out, has

    query, query_has = vectors(query_poses)
    track, _ = vectors(track_poses)
    window = np.stack([np.interp(at, track_times, track[:, d]) for d in range(52)], 1)
    use = query_has
    if not use.any():
        return 0.0
    return np.diag(distance(query[use], window[use], "torso")).mean()


def reference_distance(query, tau, track_vectors, track_times, end, speed, metric,
                       query_poses, track_poses):
    at = end + speed * tau
    if at[0] < track_times[0] - 1e-9:
        return np.inf
    window = _resample(track_vectors, track_times, at)
    per_pose = np.diag(distance(query, window.astype(np.float32), metric))
    moving = tau - VELOCITY_STEP >= tau[0] - 1e-9
    query_before = _resample(query, tau, np.maximum(tau - VELOCITY_STEP, tau[0]))
    window_before = _resample(track_vectors, track_times, at - speed * VELOCITY_STEP)
    change = (query[:, XY] - query_before[:, XY]) - (window[:, XY] - window_before[:, XY])
    velocity = np.linalg.norm(change[moving], axis=1).mean() if moving.any() else 0.0
    query_root = _root_trajectory(_roots(query_poses), tau, tau, 0.0)
    window_root = _root_trajectory(_roots(track_poses), track_times, at, end)
    root = np.linalg.norm(query_root - window_root, axis=1).mean()
    torso = _torso_term(query_poses, track_poses, track_times, at)
    return (per_pose.mean() + VELOCITY_WEIGHT * velocity + ROOT_WEIGHTS[metric] * root
            + TORSO_WEIGHTS[metric] * torso)


def brute_force(bank: PoseBank, poses, times, k, metric="cosine"):
    """Every window of every track at every speed: [(distance, track, end, speed)] best first,
    each track once."""
    query = to_vectors(poses)
    tau = np.asarray(times) - times[-1]
    tracks = {}
    for row in range(len(bank)):
        record = bank.record(row)
        if record["track"] is not None and record["frame_time"] is not None:
            tracks.setdefault(record["track"], []).append((record["frame_time"], row))
    best = []
    for name, frames in tracks.items():
        frames.sort()
        track_times = np.array([t for t, _ in frames])
        rows = [r for _, r in frames]
        track_vectors = np.asarray(bank.vectors)[rows].astype(np.float64)
        track_poses = bank.keypoints[rows]
        scored = [(reference_distance(query, tau, track_vectors, track_times, end, s, metric,
                                      poses, track_poses), name, end, s)
                  for end in track_times for s in SPEEDS]
        top = min(scored, key=lambda c: c[0])
        if np.isfinite(top[0]):
            best.append(top)
    return sorted(best, key=lambda c: c[0])[:k]


def test_the_exhaustive_search_is_the_brute_force_search(clips):
    numbers = list(clips)[:4]
    bank = make_bank({c: (clips[c][0][:40], clips[c][1][:40], None) for c in numbers}, numbers)
    query_poses, query_times = clips[list(clips)[10]][0][10:22], np.arange(12) / 24
    for metric in ("cosine", "weighted"):
        found = bank.search_motion(query_poses, query_times, k=3, metric=metric,
                                   exhaustive=True)
        truth = brute_force(bank, query_poses, query_times, 3, metric)
        assert [m.track for m in found] == [t[1] for t in truth]
        assert [m.distance for m in found] == pytest.approx([t[0] for t in truth], rel=1e-5)
        assert [m.end for m in found] == pytest.approx([t[2] for t in truth])
        assert [m.speed for m in found] == pytest.approx([t[3] for t in truth])
        for m in found:
            assert m.start == pytest.approx(m.end - m.speed * (query_times[-1] - query_times[0]))


def test_poses_without_a_torso_leave_the_torso_term_as_brute_force_does(clips):
    numbers = list(clips)[:4]

    def torso_hidden(poses, every):
        poses = poses.copy()
        poses[::every, [5, 6, 11, 12], 2] = 0.0  # no confident shoulder or hip
        return poses

    short = {c: (torso_hidden(clips[c][0][:40], 3), clips[c][1][:40], None) for c in numbers}
    bank = make_bank(short, numbers)
    assert sum(p is not None for p in torso_problems(bank.keypoints)) > 40
    query_poses = torso_hidden(clips[list(clips)[10]][0][10:22], 4)
    query_times = np.arange(12) / 24
    found = bank.search_motion(query_poses, query_times, k=3, exhaustive=True)
    truth = brute_force(bank, query_poses, query_times, 3)
    assert [m.track for m in found] == [t[1] for t in truth]
    assert [m.distance for m in found] == pytest.approx([t[0] for t in truth], rel=1e-5)


def test_a_track_without_a_torso_pays_the_torso_term_rather_than_skipping_it(clips):
    """Penn Action's guitar players whose shoulders and hips are unlabelled once paid no torso
    term at all, and were then the exhaustive search's best window for many movements of
    other actions: a pose without a torso must count as far, not free."""
    numbers = list(clips)[:4]
    hidden = numbers[0]
    short = {c: (clips[c][0][:40].copy(), clips[c][1][:40], None) for c in numbers}
    short[hidden][0][:, [5, 6, 11, 12], 2] = 0.0  # no confident shoulder or hip, ever
    bank = make_bank(short, numbers)
    tracks = bank_tracks(bank.records)
    query_poses, query_times = clips[list(clips)[10]][0][10:22], np.arange(12) / 24

    def best_of_hidden(torso_weight):
        index = MotionIndex(bank.vectors, bank.keypoints, tracks, torso_weight=torso_weight)
        found = index.search(query_poses, query_times, k=len(numbers), exhaustive=True)
        return next(m.distance for m in found if m.track == str(hidden))

    without_term, with_term = best_of_hidden(0.0), best_of_hidden(TORSO_WEIGHTS["cosine"])
    # The torso distance of a pose from a shapeless one is the pose's mean reach: about 1.
    assert with_term - without_term > 0.5 * TORSO_WEIGHTS["cosine"]


def test_a_clip_of_the_bank_finds_itself_at_its_own_speed_and_place(clips):
    numbers = list(clips)[:40]
    bank = make_bank(clips, numbers, photos=5)
    poses, times, _ = clips[numbers[7]]
    window = slice(20, 71)  # 50 frames: 1.67 s
    for speed in (1.0, SPEEDS[2], SPEEDS[7]):
        # Played at `speed`, the clip's frames come at times / speed.
        found = bank.search_motion(poses[window], times[window] / speed, k=5)
        best = found[0]
        assert best.track == str(numbers[7])
        assert best.speed == pytest.approx(speed)
        assert best.start == pytest.approx(times[20], abs=1e-6)
        assert best.end == pytest.approx(times[70], abs=1e-6)
        assert best.distance < 1e-3 and not best.mirrored
        assert bank.record(best.row)["frame_time"] == pytest.approx(times[20])
        assert len({m.track for m in found}) == len(found) == 5
        assert [m.distance for m in found] == sorted(m.distance for m in found)


def test_a_mirrored_clip_is_found_mirrored(clips):
    numbers = list(clips)[:40]
    bank = make_bank(clips, numbers)
    poses, times, _ = clips[numbers[3]]
    flipped = mirror_keypoints(poses[10:60], image_width=640)
    plain = bank.search_motion(flipped, times[10:60], k=3)
    both = bank.search_motion(flipped, times[10:60], k=3, mirror=True)
    assert both[0].track == str(numbers[3]) and both[0].mirrored and both[0].distance < 1e-3
    assert not any(m.mirrored for m in plain)
    assert both[0].distance <= plain[0].distance


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_window_index_gives_exact_distances_never_better_than_brute_force(clips, data):
    """Banks of 20-40 real clips, movements of 1-2.5 s from other clips at any pace: each
    window found is scored exactly (as the reference scores it), and rank by rank never
    nearer than the exhaustive search's (theirs are the best there are). How close it comes
    is measured below."""
    numbers = list(clips)
    chosen = data.draw(st.lists(st.sampled_from(numbers[:80]), min_size=20, max_size=40,
                                unique=True))
    bank = make_bank(clips, chosen)
    query_clip = data.draw(st.sampled_from(numbers[80:]))
    poses, times, _ = clips[query_clip]
    length = data.draw(st.integers(30, 75))
    start = data.draw(st.integers(0, len(poses) - length))
    pace = data.draw(st.floats(0.7, 1.4))
    query = (poses[start:start + length], times[start:start + length] / pace)
    found = bank.search_motion(*query, k=5)
    truth = bank.search_motion(*query, k=5, exhaustive=True)
    assert len(found) == len(truth) == 5
    assert len({m.track for m in found}) == 5
    query_vectors = to_vectors(query[0])
    tau = query[1] - query[1][-1]
    for mine, best in zip(found, truth, strict=True):
        assert mine.distance >= best.distance - 1e-9
        poses_of_track, times_of_track, _ = clips[int(mine.track)]
        reference = reference_distance(query_vectors, tau, to_vectors(poses_of_track),
                                       times_of_track, mine.end, mine.speed, "cosine",
                                       query[0], poses_of_track)
        assert mine.distance == pytest.approx(reference, rel=1e-5)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_window_index_finds_k_tracks_when_that_many_can_match(clips, data):
    """Asked for more windows than its candidates once held tracks (128 windows a speed, a
    few tracks' worth), the default search returns min(k, the tracks a window of the movement
    fits in), as the exhaustive search does: banks of 20-40 real clips cut to 0.7-2.5 s, so
    some are too short for the movement; k up to more than the bank's tracks."""
    numbers = list(clips)
    chosen = data.draw(st.lists(st.sampled_from(numbers[:80]), min_size=20, max_size=40,
                                unique=True))
    lengths = data.draw(st.lists(st.integers(20, 75), min_size=len(chosen),
                                 max_size=len(chosen)))
    cut = {c: (clips[c][0][:n], clips[c][1][:n], None) for c, n in zip(chosen, lengths,
                                                                         strict=True)}
    bank = make_bank(cut, chosen)
    poses, times, _ = clips[data.draw(st.sampled_from(numbers[80:]))]
    length = data.draw(st.integers(30, 60))
    start = data.draw(st.integers(0, len(poses) - length))
    query = (poses[start:start + length], times[start:start + length])
    # A window fits in a track when the track lasts the movement's duration at some speed.
    needs = min(SPEEDS) * (query[1][-1] - query[1][0])
    matchable = sum(times_of[-1] - times_of[0] >= needs - 1e-9 for _, times_of, _ in
                    cut.values())
    k = data.draw(st.integers(1, len(chosen) + 5))
    found = bank.search_motion(*query, k=k)
    truth = bank.search_motion(*query, k=k, exhaustive=True)
    assert len(truth) == min(k, matchable)
    assert len(found) == len(truth)
    assert len({m.track for m in found}) == len(found)
    for mine, best in zip(found, truth, strict=True):
        assert mine.distance >= best.distance - 1e-9


def test_the_window_index_recall_on_movements_of_other_clips(clips):
    """Measured: how many of the exhaustive search's top 5 tracks the default search finds,
    for 2-second movements of held-out clips in a bank of 80 clips."""
    numbers = list(clips)
    bank = make_bank(clips, numbers[:80])
    recalls, top1, ratios = [], [], []
    for clip in numbers[80:110]:
        poses, times, _ = clips[clip]
        middle = len(poses) // 2
        query = (poses[middle - 30:middle + 30], times[middle - 30:middle + 30])
        found = bank.search_motion(*query, k=5)
        truth = bank.search_motion(*query, k=5, exhaustive=True)
        recalls.append(len({m.track for m in found} & {m.track for m in truth}) / 5)
        top1.append(found[0].track == truth[0].track)
        ratios.append(found[-1].distance / truth[-1].distance)
    assert np.mean(recalls) >= 0.8
    assert np.mean(top1) >= 0.85
    assert np.mean(ratios) <= 1.05


def test_with_every_window_a_candidate_the_index_is_exact(clips, monkeypatch):
    numbers = list(clips)[:12]
    bank = make_bank(clips, numbers)
    size = len(bank.motion_index())
    monkeypatch.setattr(motion_search, "CANDIDATES", size)
    monkeypatch.setattr(motion_search, "PER_TRACK_SPEED", size)
    monkeypatch.setattr(motion_search, "PER_TRACK", size)
    monkeypatch.setattr(motion_search, "SKETCH_POSES", 10_000)
    poses, times, _ = clips[list(clips)[100]]
    for pace in (0.8, 1.0, 1.3):
        found = bank.search_motion(poses[5:60], times[5:60] / pace, k=5, mirror=True)
        truth = bank.search_motion(poses[5:60], times[5:60] / pace, k=5, mirror=True,
                                   exhaustive=True)
        assert found == truth


def test_bad_movements_are_refused_with_the_reason(clips):
    bank = make_bank(clips, list(clips)[:3])
    poses, times, _ = clips[list(clips)[0]]
    with pytest.raises(MotionError, match="at least 2 poses"):
        bank.search_motion(poses[:1], times[:1])
    with pytest.raises(MotionError, match="strictly increasing"):
        bank.search_motion(poses[:3], [0.0, 0.2, 0.2])
    with pytest.raises(MotionError, match="3 times for 4 poses"):
        bank.search_motion(poses[:4], times[:3])
    broken = poses[:4].copy()
    broken[2, :, 2] = 0.0
    with pytest.raises(PoseError, match="pose 2"):
        bank.search_motion(broken, times[:4])
    with pytest.raises(ValueError, match="k must be at least 1"):
        bank.search_motion(poses[:4], times[:4], k=0)


@pytest.mark.parametrize("times, problem", [
    (["0.0", "0.1", "soon", "0.3"], "could not convert string to float"),
    ({"start": 0.0}, "dict"),
])
def test_times_that_are_not_numbers_are_a_motion_error(clips, times, problem):
    # Once numpy's bare ValueError or TypeError, not the MotionError search_motion documents.
    bank = make_bank(clips, list(clips)[:2])
    poses = clips[list(clips)[0]][0][:4]
    with pytest.raises(MotionError, match=f"the poses' times must be seconds.*{problem}"):
        bank.search_motion(poses, times)


def test_a_bank_of_stills_has_no_movement_to_find(clips):
    poses, times, _ = clips[list(clips)[0]]
    bank = PoseBank.from_keypoints(poses)
    assert bank.search_motion(poses[:10], times[:10]) == []


def test_movement_search_takes_only_the_metrics_of_the_stored_vectors(clips):
    from movemirror.errors import UnknownMetricError

    numbers = list(clips)[:2]
    bank = make_bank({c: (clips[c][0][:30], clips[c][1][:30], None) for c in numbers}, numbers)
    query_poses, query_times = clips[numbers[0]][0][5:15], np.arange(10) / 24
    with pytest.raises(UnknownMetricError, match="'torso' has vectors of its own"):
        bank.search_motion(query_poses, query_times, metric="torso")
    assert bank.search_motion(query_poses, query_times, k=1)[0].track is not None
    assert bank.search(query_poses[0], k=1).indices.shape == (1, 1)  # the pose default


def _index(bank, features: str) -> MotionIndex:
    return MotionIndex(bank.vectors, bank.keypoints, bank_tracks(bank.records),
                       features=features)


def test_query_features_at_several_speeds_are_those_at_each_speed(clips):
    poses, times, _ = clips[list(clips)[0]]
    index = _index(make_bank(clips, list(clips)[:3]), "torso")
    movement = motion_search._prepare(poses[10:70], times[10:70], VELOCITY_STEP)
    args = (index.feature_axes, index.offsets, index.root_feature_scale)
    together, weights = query_features(movement.torso, movement.tau, movement.root, SPEEDS,
                                       *args)
    assert together.shape == weights.shape == (len(SPEEDS), index.tree.dim)
    for row, speed in enumerate(SPEEDS):
        alone, alone_weights = query_features(movement.torso, movement.tau, movement.root,
                                              [speed], *args)
        np.testing.assert_array_equal(together[row], alone[0])
        np.testing.assert_array_equal(weights[row], alone_weights[0])
        assert weights[row].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("features", FEATURE_KINDS)
def test_either_index_feature_kind_is_never_better_than_exhaustive(clips, features):
    """The index of torso (the default) or box vectors' features: exact distances, rank by
    rank never nearer than the exhaustive search's, mostly the same best track."""
    numbers = list(clips)
    index = _index(make_bank(clips, numbers[:30]), features)
    same_best = []
    for clip in numbers[80:88]:
        poses, times, _ = clips[clip]
        query = (poses[20:80], times[20:80] / 0.9)
        found = index.search(*query, k=5)
        truth = index.search(*query, k=5, exhaustive=True)
        assert len(found) == len(truth) == 5
        for mine, best in zip(found, truth, strict=True):
            assert mine.distance >= best.distance - 1e-9
        query_vectors = to_vectors(query[0])
        tau = query[1] - query[1][-1]
        for mine in found:
            track_poses, track_times, _ = clips[int(mine.track)]
            reference = reference_distance(query_vectors, tau, to_vectors(track_poses),
                                           track_times, mine.end, mine.speed, "cosine",
                                           query[0], track_poses)
            assert mine.distance == pytest.approx(reference, rel=1e-5)
        same_best.append(found[0].track == truth[0].track)
    assert np.mean(same_best) >= 0.75


def test_an_unknown_index_feature_kind_is_refused(clips):
    with pytest.raises(ValueError, match="features must be one of box, torso"):
        _index(make_bank(clips, list(clips)[:2]), "elbows")



@pytest.mark.parametrize("metric", ["likeness", "euclid"])
def test_a_metric_movement_search_does_not_know_lists_the_ones_it_takes(clips, metric):
    # Once "unknown metric 'likeness'; choose one of cosine, weighted, torso": torso, offered
    # there, is refused by movement search too, and likeness is search's own default.
    from movemirror.errors import UnknownMetricError

    poses, times, _ = clips[list(clips)[0]]
    bank = PoseBank.from_keypoints(poses[:30], meta={"track": ["a"] * 30,
                                                     "frame_time": times[:30]})
    with pytest.raises(UnknownMetricError, match=f"movement search takes cosine or weighted, "
                                                 f"not {metric!r}"):
        bank.search_motion(poses[5:15], times[5:15], metric=metric)


@pytest.mark.parametrize("option, value", [("mirror", "no"), ("mirror", 1),
                                           ("exhaustive", "yes"), ("exhaustive", None)])
def test_a_movement_option_that_is_not_a_bool_is_refused_by_name(clips, option, value):
    numbers = list(clips)[:3]
    bank = make_bank(clips, numbers)
    poses, times, _ = clips[numbers[1]]
    with pytest.raises(InvalidArgumentError, match=f"{option} must be True or False.*{value!r}"):
        bank.search_motion(poses[10:40], times[10:40], k=2, **{option: value})
