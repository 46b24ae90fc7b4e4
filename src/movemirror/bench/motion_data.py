"""Penn Action as tracks for the movement benchmark: the training clips as a bank, two-second
movements of the test clips as queries, and banks enlarged with transformed copies of whole
clips (each copy one rotation and scale, half of them mirrored, as bench/search_data.py
enlarges banks of single poses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.bench.search_data import MAX_ROTATION, SCALE_RANGE, rotate_and_scale
from movemirror.datasets.penn_action import FPS, PennPoses
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import pose_problems


@dataclass(frozen=True)
class Clips:
    """Valid poses of some clips, clip by clip in frame order."""

    keypoints: np.ndarray  # (N, 17, 3)
    clip: np.ndarray  # (N,)
    times: np.ndarray  # (N,) seconds: frame / FPS
    action: dict[int, str]  # clip -> action


@dataclass(frozen=True)
class Movement:
    clip: int
    action: str
    poses: np.ndarray  # (T, 17, 3)
    times: np.ndarray  # (T,) seconds


def split_clips(penn: PennPoses) -> tuple[Clips, Clips]:
    """The training and test clips' valid poses (Penn Action's own split)."""
    valid = np.array([p is None for p in pose_problems(penn.keypoints)])
    action = {int(c): str(a) for c, a in zip(penn.clip, penn.action, strict=True)}

    def part(mask: np.ndarray) -> Clips:
        order = np.lexsort((penn.frame[mask], penn.clip[mask]))
        return Clips(penn.keypoints[mask][order], penn.clip[mask][order],
                     penn.frame[mask][order] / FPS, action)

    return part(valid & penn.train), part(valid & ~penn.train)


def track_meta(clip: np.ndarray, times: np.ndarray, copy: int = 0) -> dict:
    names = clip.astype(str) if copy == 0 else np.char.add(clip.astype(str), f"+{copy}")
    return {"track": names.tolist(), "frame_time": times}


def enlarged(clips: Clips, size: int, seed: int = 0):
    """(keypoints, meta) of at least size poses: the clips, then transformed copies of whole
    clips (a copy's frames share one rotation and scale; half the copies are mirrored)."""
    rng = np.random.default_rng(seed)
    parts = [clips.keypoints]
    metas = [track_meta(clips.clip, clips.times)]
    made, copy = len(clips.keypoints), 0
    starts = np.flatnonzero(np.r_[True, clips.clip[1:] != clips.clip[:-1]])
    clip_index = np.cumsum(np.r_[False, clips.clip[1:] != clips.clip[:-1]])
    while made < size:
        copy += 1
        angle = rng.uniform(-MAX_ROTATION, MAX_ROTATION, len(starts))[clip_index]
        scale = rng.uniform(*SCALE_RANGE, len(starts))[clip_index]
        poses = rotate_and_scale(clips.keypoints, angle, scale)
        flip = (rng.random(len(starts)) < 0.5)[clip_index]
        poses[flip] = mirror_keypoints(poses[flip])
        parts.append(poses)
        metas.append(track_meta(clips.clip, clips.times, copy))
        made += len(poses)
    keypoints = np.concatenate(parts)[:size]
    meta: dict[str, list | np.ndarray] = {"track": sum((m["track"] for m in metas), [])[:size],
            "frame_time": np.concatenate([m["frame_time"] for m in metas])[:size]}
    return keypoints, meta


def movements(clips: Clips, count: int, seconds: float, seed: int = 0) -> list[Movement]:
    """One movement of `seconds` from each of up to count clips long enough, drawn at random
    (its frames consecutive, its start at random)."""
    rng = np.random.default_rng(seed)
    frames = int(round(seconds * FPS)) + 1
    out = []
    for clip in rng.permutation(np.unique(clips.clip)):
        rows = np.flatnonzero(clips.clip == clip)
        times = clips.times[rows]
        # consecutive frames only: a gap (an unusable pose dropped) would shorten the window
        runs = np.flatnonzero(np.diff(times) > 1.5 / FPS)
        if len(rows) < frames or len(runs):
            continue
        start = int(rng.integers(0, len(rows) - frames + 1))
        pick = rows[start:start + frames]
        out.append(Movement(int(clip), clips.action[int(clip)], clips.keypoints[pick],
                            clips.times[pick]))
        if len(out) == count:
            break
    return out
