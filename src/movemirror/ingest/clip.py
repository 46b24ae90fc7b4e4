"""A movement from a video: one person's poses on a regular grid of frames, with their times,
for movement search (`movemirror search --clip VIDEO`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from movemirror.errors import MotionError
from movemirror.ingest.frames import video_frames
from movemirror.ingest.work import VIDEO_MAX_SIDE
from movemirror.vectors import pose_problems

CLIP_MODEL, CLIP_MODE = "lightning", "crop"  # fast, and refined by MoveNet's own crop pass
CLIP_EVERY_MS = 100  # about 10 poses a second: enough to follow a movement


def video_movement(path: str | Path, every_ms: int = CLIP_EVERY_MS, model: str = CLIP_MODEL,
                   mode: str = CLIP_MODE, estimator=None) -> tuple[np.ndarray, np.ndarray]:
    """(poses (T, 17, 3) in source pixels, times (T,) in seconds) of the most confident person
    of each sampled frame; frames without a usable pose are left out. Raises DecodeError for
    a video that cannot be read, MotionError if fewer than 2 poses are found."""
    if estimator is None:
        from movemirror.pose import PoseEstimator

        estimator = PoseEstimator(model, mode=mode)
    poses, times = [], []
    for t, scale, frame in video_frames(path, every_ms, max_side=VIDEO_MAX_SIDE):
        found = estimator.estimate(frame, max_people=1)
        if not found:
            continue
        keypoints = found[0].keypoints.copy()
        keypoints[:, :2] /= scale
        if pose_problems(keypoints)[0] is None:
            poses.append(keypoints)
            times.append(t)
    if len(poses) < 2:
        raise MotionError(f"{path}: a person was found in {len(poses)} sampled frames; a "
                          "movement needs at least 2")
    return np.stack(poses), np.asarray(times)
