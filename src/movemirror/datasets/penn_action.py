"""Penn Action's 163,841 annotated poses (13 joints) mapped to the 17-keypoint schema.

Penn's joints: head, L/R shoulder, L/R elbow, L/R wrist, L/R hip, L/R knee, L/R ankle. The
head stands in for the nose; eyes and ears take the head's position at zero confidence. A
visible joint scores 1.0; an occluded one, whose position the annotators estimated, 0.5.
An unlabelled joint scores 0: the labels mark one as invisible at (0, 0), or at a point
(x = y, 0.67-1.5 px) in the frame's top-left corner, in about 6% of all joints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from movemirror.datasets import cache_dir, dataset_dir
from movemirror.keypoints import NUM_KEYPOINTS

PENN_TO_SCHEMA = (0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
HEAD_STANDINS = (1, 2, 3, 4)  # eyes and ears
OCCLUDED_SCORE = 0.5
UNLABELLED_CORNER_PX = 2.0  # an invisible joint this close to (0, 0) is a marker, not a place
FPS = 30.0  # the labels give no frame rate; Penn Action's clips are 30 fps videos
_CACHE_VERSION = "4"  # bumped when the cached arrays change


@dataclass(frozen=True)
class PennPoses:
    keypoints: np.ndarray  # (N, 17, 3) float32, pixels
    clip: np.ndarray  # (N,) int32, clip number 1..2326
    frame: np.ndarray  # (N,) int32, frame within the clip
    action: np.ndarray  # (N,) str
    train: np.ndarray  # (N,) bool: the clip is in the data set's training split (else test)


def to_schema(x: np.ndarray, y: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Penn (F, 13) arrays to poses (F, 17, 3)."""
    poses = np.zeros((len(x), NUM_KEYPOINTS, 3), np.float32)
    scores = np.where(visibility > 0, 1.0, OCCLUDED_SCORE)
    unlabelled = (visibility <= 0) & (x <= UNLABELLED_CORNER_PX) & (y <= UNLABELLED_CORNER_PX)
    scores = np.where(unlabelled, 0.0, scores)
    # An unlabelled joint has no place: put it at the labelled joints' centre, where it pulls
    # a pose's vector in no direction (at the corner it sat on one edge of the box, and on
    # the other edge once mirrored).
    labelled = scores > 0
    count = np.maximum(labelled.sum(axis=1, keepdims=True), 1)
    x = np.where(labelled, x, (np.where(labelled, x, 0).sum(axis=1, keepdims=True) / count))
    y = np.where(labelled, y, (np.where(labelled, y, 0).sum(axis=1, keepdims=True) / count))
    poses[:, PENN_TO_SCHEMA, 0] = x
    poses[:, PENN_TO_SCHEMA, 1] = y
    poses[:, PENN_TO_SCHEMA, 2] = scores
    poses[:, HEAD_STANDINS, :2] = poses[:, :1, :2]
    return poses


def load_penn_action() -> PennPoses:
    """All clips, cached as one .npz under MOVEMIRROR_HOME after the first load."""
    labels = dataset_dir("penn-action-labels") / "labels"
    files = sorted(labels.glob("*.mat"))
    key = hashlib.sha1((_CACHE_VERSION + "".join(f"{f.name}:{f.stat().st_size}" for f in files))
                       .encode()).hexdigest()
    cached = cache_dir() / f"penn-action-{key[:12]}.npz"
    if cached.is_file():
        data = np.load(cached)
        return PennPoses(data["keypoints"], data["clip"], data["frame"], data["action"],
                         data["train"])
    from scipy.io import loadmat  # the bench extra's: only read when the cache is cold

    parts, clips, frames, actions, train = [], [], [], [], []
    for file in files:
        mat = loadmat(file)
        poses = to_schema(mat["x"], mat["y"], mat["visibility"])
        parts.append(poses)
        clips.append(np.full(len(poses), int(file.stem), np.int32))
        frames.append(np.arange(len(poses), dtype=np.int32))
        actions.append(np.full(len(poses), str(mat["action"][0])))
        train.append(np.full(len(poses), int(mat["train"][0, 0]) == 1))  # 1 train, -1 test
    result = PennPoses(np.concatenate(parts), np.concatenate(clips), np.concatenate(frames),
                       np.concatenate(actions), np.concatenate(train))
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, keypoints=result.keypoints, clip=result.clip, frame=result.frame,
             action=result.action, train=result.train)
    tmp.replace(cached)
    return result
