"""Following people through real videos: fewer detector runs, the same poses."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from movemirror.ingest.follow import Follower, frame_signature, scene_changed
from movemirror.ingest.frames import video_frames
from movemirror.pose.metrics import pck_hits


@pytest.fixture(scope="module")
def estimator():
    from movemirror.ingest.engines.local import make_estimator
    from movemirror.pose import ModelMissingError

    try:
        return make_estimator("lightning", "crop").load()
    except ModelMissingError as error:
        pytest.skip(str(error))


def frames_of(video, every_ms=100, end=None) -> list[np.ndarray]:
    return [frame for _, _, frame in video_frames(video, every_ms, 0.0, end, 640)]


def test_consecutive_frames_are_one_scene_and_two_videos_are_two(pose_video, street_video):
    pose, street = frames_of(pose_video, 200), frames_of(street_video, 200)
    pose_signatures = [frame_signature(f) for f in pose]
    street_signatures = [frame_signature(f) for f in street]
    for signatures in (pose_signatures, street_signatures):
        cuts = sum(scene_changed(a, b) for a, b in pairwise(signatures))
        assert cuts <= 1  # the street video's first two samples differ that much
    assert all(scene_changed(a, b) for a in pose_signatures for b in street_signatures)


def test_following_runs_the_detector_far_less_and_finds_the_same_keypoints(estimator, pose_video):
    frames = frames_of(pose_video)
    followed = Follower(estimator, max_people=6, single_person_model=True, detect_every=8)
    every = Follower(estimator, max_people=6, single_person_model=True, detect_every=1)
    correct = counted = 0
    for frame in frames:
        ours, reference = followed.poses(frame), every.poses(frame)
        assert len(ours) == len(reference) == 1
        truth = reference[0].keypoints.copy()
        truth[:, 2] = truth[:, 2] >= 0.3
        hits, total = pck_hits(ours[0].keypoints, truth)
        correct, counted = correct + hits, counted + total
    assert every.detections == len(frames) == 40
    assert followed.detections <= len(frames) // 8 + 2
    assert correct / counted >= 0.95


def test_a_scene_cut_finds_the_people_again(estimator, pose_video, street_video):
    pose, street = frames_of(pose_video, 200, 1.2), frames_of(street_video, 200, 1.2)
    follower = Follower(estimator, max_people=6, single_person_model=True, detect_every=100)
    for frame in pose:
        follower.poses(frame)
    assert follower.detections == 1
    people = follower.poses(street[0])
    assert follower.detections == 2 and len(people) > 1  # the street's walkers, found anew
    for frame in street[1:]:
        follower.poses(frame)
    assert follower.detections <= 2 + len(street) // 2  # followed, bar someone lost
