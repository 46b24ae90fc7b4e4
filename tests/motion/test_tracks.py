"""Tracks in a bank: named through the API, grouped in time order, linked by ingestion."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from movemirror.bank import PoseBank
from movemirror.errors import MotionError
from movemirror.ingest.tracks import link_tracks
from movemirror.motion.tracks import bank_tracks, summarise_tracks


def penn_clip_poses(penn, clip: int) -> np.ndarray:
    return penn.keypoints[penn.clip == clip]


def test_api_names_tracks_by_number_or_name_and_photos_stay_out(penn, tmp_path):
    a, b = penn_clip_poses(penn, 1)[:30], penn_clip_poses(penn, 2)[:20]
    photos = penn_clip_poses(penn, 3)[:5]
    keypoints = np.concatenate([b, a, photos])
    times = np.r_[np.arange(20)[::-1] / 30, np.arange(30) / 30, [np.nan] * 5]
    tracks = [7] * 20 + [3] * 30 + [None] * 5  # numbers become names; photos have none
    order = np.random.default_rng(0).permutation(len(keypoints))  # any row order
    meta = {"track": [tracks[i] for i in order],
            "frame_time": [None if np.isnan(times[i]) else times[i] for i in order]}
    bank = PoseBank.from_keypoints(keypoints[order], meta=meta)
    assert bank.records.schema.field("track").type == pa.string()
    bank.save(tmp_path / "bank")
    loaded = PoseBank.load(tmp_path / "bank")
    tracks = bank_tracks(loaded.records)
    assert tracks.names == ["3", "7"]
    assert list(tracks.stop - tracks.first) == [30, 20]
    for j in range(len(tracks)):
        span = slice(tracks.first[j], tracks.stop[j])
        assert np.all(np.diff(tracks.times[span]) > 0)  # time order
        assert {loaded.record(r)["track"] for r in tracks.rows[span]} == {tracks.names[j]}
    assert tracks.durations == pytest.approx([29 / 30, 19 / 30])
    summary = summarise_tracks(loaded.records)
    assert (summary.tracks, summary.moving, summary.moving_poses) == (7, 2, 50)  # 5 photos
    assert summary.duration_s == pytest.approx(48 / 30)


def test_a_bank_without_track_or_time_has_no_moving_track(penn):
    bank = PoseBank.from_keypoints(penn_clip_poses(penn, 1)[:10])
    assert len(bank_tracks(bank.records)) == 0
    assert summarise_tracks(bank.records).tracks == 10
    # Timed poses without a track name are tracks of one pose each: none moves.
    timed = PoseBank.from_keypoints(penn_clip_poses(penn, 1)[:10],
                                    meta={"frame_time": np.arange(10) / 30})
    assert len(bank_tracks(timed.records)) == 0


def test_two_poses_of_a_track_at_one_time_are_refused(penn):
    bank = PoseBank.from_keypoints(penn_clip_poses(penn, 1)[:3],
                                   meta={"track": ["a", "a", "a"], "frame_time": [0, 0.5, 0.5]})
    with pytest.raises(MotionError, match="'a' has two poses at 0.5 s"):
        bank_tracks(bank.records)


def test_a_track_column_that_is_not_names_is_refused(penn):
    with pytest.raises(ValueError, match="'frame_time' must hold double"):
        PoseBank.from_keypoints(penn_clip_poses(penn, 1)[:2],
                                meta={"frame_time": ["soon", "later"]})


def test_linking_follows_two_people_who_walk_past_each_other():
    # Two people 100 px wide walk towards each other 10 px a frame; by the end they overlap
    # each other more than half (IoU 0.67), but each overlaps its own last box more.
    times, boxes, truth = [], [], []
    for f in range(30):
        for person, x in enumerate((10 * f, 600 - 10 * f)):
            times.append(f * 0.2)
            boxes.append((x, 100, x + 100, 400))
            truth.append(person)
    tracks = link_tracks(times, boxes)
    assert list(tracks) == truth
    frames = np.asarray(times)
    for t in np.unique(frames):
        assert len(set(tracks[frames == t])) == 2  # one pose per track per frame


def test_linking_breaks_a_track_after_a_long_gap_or_a_jump():
    times = [0.0, 0.2, 0.4, 2.5, 2.7, 2.9, 3.1]
    boxes = [(0, 0, 100, 200)] * 6 + [(500, 0, 600, 200)]
    assert list(link_tracks(times, boxes)) == [0, 0, 0, 1, 1, 1, 2]
    assert list(link_tracks(times, boxes, max_gap=3.0)) == [0, 0, 0, 0, 0, 0, 1]


def test_bank_info_counts_tracks_and_their_duration(penn, tmp_path):
    import subprocess
    import sys

    clips = [penn_clip_poses(penn, c) for c in (1, 2)]
    keypoints = np.concatenate([*clips, penn_clip_poses(penn, 3)[:4]])
    n1, n2 = len(clips[0]), len(clips[1])
    meta = {"track": ["1"] * n1 + ["2"] * n2 + [None] * 4,
            "frame_time": [*(np.arange(n1) / 30), *(np.arange(n2) / 30), *([None] * 4)]}
    PoseBank.from_keypoints(keypoints, meta=meta).save(tmp_path / "bank")
    info = subprocess.run([sys.executable, "-m", "movemirror.cli.main", "bank", "info",
                           str(tmp_path / "bank")], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    seconds = (n1 - 1 + n2 - 1) / 30
    assert (f"tracks: 6; 2 move ({n1 + n2:,} poses, {seconds:.1f} s in all) and take part in "
            "movement search") in info.stdout
