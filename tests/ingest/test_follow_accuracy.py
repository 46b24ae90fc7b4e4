"""How `bench ingest` scores followed poses against the every-frame ones (PCK), on the real
per-frame keypoints of the tfjs sample video."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bench.follow_accuracy import pck_of_frames, truth_frames
from movemirror.datasets.tfjs_reference import load_reference_keypoints


@pytest.fixture(scope="module")
def poses(pose_video) -> np.ndarray:
    """(frames, 17, 3): one person through 120 frames, every keypoint scored 1."""
    xy = load_reference_keypoints(pose_video.with_name("pose_1.json"))
    assert xy.shape == (120, 17, 2)
    return np.concatenate([xy, np.ones((*xy.shape[:2], 1), np.float32)], axis=2)


def by_frame(poses: np.ndarray, video: str, frames=None) -> dict:
    frames = range(len(poses)) if frames is None else frames
    return {(video, round(i / 30, 3)): [poses[i]] for i in frames}


def test_the_same_poses_score_one_in_every_video(poses):
    reference = by_frame(poses, "/a/pose_1.mp4") | by_frame(poses[:40], "/b/other.mp4")
    result = pck_of_frames(reference, reference)
    assert result["pck"] == 1.0 and result["unmatched_poses"] == 0
    assert result["reference_poses"] == 160
    assert set(result["videos"]) == {"pose_1.mp4", "other.mp4"}


def test_a_pose_the_followed_run_lacks_counts_as_all_wrong(poses):
    reference = by_frame(poses, "/a/pose_1.mp4")
    followed = by_frame(poses, "/a/pose_1.mp4", [i for i in range(len(poses)) if i % 10])
    result = pck_of_frames(reference, followed)
    assert result["unmatched_poses"] == 12
    assert result["pck"] == pytest.approx(108 / 120, abs=0.01)


def test_poses_a_few_frames_late_lose_points_only_in_their_video(poses):
    late = by_frame(poses[list(range(8)) + list(range(len(poses) - 8))], "/b/late.mp4")
    reference = by_frame(poses, "/a/pose_1.mp4") | by_frame(poses, "/b/late.mp4")
    result = pck_of_frames(reference, by_frame(poses, "/a/pose_1.mp4") | late)
    assert result["videos"]["pose_1.mp4"]["pck"] == 1.0
    assert result["videos"]["late.mp4"]["pck"] < 0.95  # 8 frames (a quarter second) behind
    assert result["videos"]["late.mp4"]["unmatched_poses"] == 0


def test_truth_frames_are_the_clips_own_keypoints_at_the_sampled_times(poses, pose_video,
                                                                         street_video):
    from movemirror.ingest.frames import video_frames

    times = [round(t, 3) for t, _, _ in video_frames(pose_video, 100)]
    sampled = [(str(pose_video), t) for t in times] + [(str(street_video), 0.0)]
    truth = truth_frames(sampled)
    assert len(truth) == len(times) == 40  # the street video has no reference keypoints
    frames = [round(t * 30) for t in times]
    assert frames == list(range(0, 120, 3))
    for t, frame in zip(times, frames, strict=True):
        np.testing.assert_array_equal(truth[str(pose_video), t][0], poses[frame])


def test_a_run_scored_against_the_truth_loses_points_for_late_and_missing_poses(poses,
                                                                                 pose_video):
    times = [round(i / 30, 3) for i in range(120)]
    truth = truth_frames((str(pose_video), t) for t in times)
    exact = {(str(pose_video), t): [poses[i]] for i, t in enumerate(times)}
    late = {(str(pose_video), t): [poses[max(0, i - 8)]] for i, t in enumerate(times)}
    assert pck_of_frames(truth, exact)["pck"] == 1.0
    assert pck_of_frames(truth, late)["pck"] < 0.95
    missing = pck_of_frames(truth, {k: v for k, v in exact.items() if k[1] > 1.0})
    assert missing["unmatched_poses"] == 31 and missing["pck"] == pytest.approx(89 / 120, 0.01)
