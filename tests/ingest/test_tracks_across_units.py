"""A person seen across the end of a unit of work (a stretch of a video) is one track."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.boxes import MIN_IOU, iou
from movemirror.ingest import run as ingest_run
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.run import run_index
from movemirror.ingest.work import Settings
from movemirror.motion.tracks import MAX_GAP_SECONDS, TrackPart, bank_tracks, continued_tracks
from movemirror.pose import ModelMissingError, PoseEstimator

ONE_PERSON = Settings(model="lightning", mode="fast", max_people=1, thumb_size=96,
                      every_ms=200, dedup=0.0,
                      quality=QualityFilter(min_pose_score=0, min_keypoints=5, full_body=False,
                                            min_person_size=0))


def test_a_video_cut_into_units_still_gives_one_track(pose_video, tmp_path, monkeypatch):
    try:
        PoseEstimator(model="lightning", threads=1).load()
    except ModelMissingError as error:
        pytest.skip(f"{error} (run make setup-models)")
    monkeypatch.setattr(ingest_run, "SEGMENT_SECONDS", 1.0)  # 4 s of video: 4 units
    run_index([pose_video], tmp_path / "bank", ONE_PERSON)
    bank = PoseBank.load(tmp_path / "bank")
    units = {bank.record(i)["track"] for i in range(len(bank))}
    assert len(units) == 4  # ingestion names a track per unit...
    tracks = bank_tracks(bank.records)
    assert len(tracks) == 1  # ...and they are one person's track again
    assert sorted(tracks.rows) == list(range(len(bank)))
    assert tracks.durations[0] >= 3.5
    assert tracks.names[0] == bank.record(int(tracks.rows[0]))["track"]  # its first part's
    for a, b in pairwise(tracks.rows):
        assert iou(bank.record(a)["box"], bank.record(b)["box"]) >= MIN_IOU
    motion = bank.search_motion(bank.keypoints[tracks.rows[5:15]], tracks.times[5:15], k=1)
    assert motion[0].track == tracks.names[0]


def _part(video, first, last, x_first, x_last):
    return TrackPart(video, first, [x_first, 0, x_first + 100, 200], last,
                     [x_last, 0, x_last + 100, 200])


def test_parts_join_by_video_gap_and_overlap():
    parts = [
        _part("v", 0.0, 19.9, 0, 0),  # person A up to a unit's end
        _part("v", 0.0, 19.9, 300, 300),  # person B
        _part("v", 20.1, 39.9, 310, 310),  # B goes on
        _part("v", 20.1, 39.9, 5, 900),  # A goes on and walks away
        _part("w", 20.1, 30.0, 0, 0),  # another video: never joined to v's
        _part("v", 40.0 + MAX_GAP_SECONDS + 0.1, 50.0, 900, 900),  # too long after A's end
        _part("v", 40.0, 45.0, 320, 320),  # B after the next cut
    ]
    assert continued_tracks(parts) == {2: 1, 3: 0, 6: 2}


def test_two_starts_at_one_end_take_the_better_overlap_once():
    parts = [_part("v", 0.0, 1.0, 0, 0), _part("v", 1.2, 2.0, 40, 40),
             _part("v", 1.2, 2.0, 10, 10)]
    assert continued_tracks(parts) == {2: 0}
    boxless = [TrackPart("v", 0.0, None, 1.0, None), _part("v", 1.2, 2.0, 0, 0)]
    assert continued_tracks(boxless) == {}


def test_tracks_named_through_the_api_are_never_joined(penn):
    poses = penn.keypoints[penn.clip == 1][:20]
    bank = PoseBank.from_keypoints(poses, meta={"track": ["a"] * 10 + ["b"] * 10,
                                                "frame_time": np.arange(20) / 30})
    assert bank_tracks(bank.records).names == ["a", "b"]
