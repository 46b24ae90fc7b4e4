"""How close the poses of a video indexed while following people are to those found from
scratch on every frame: PCK with the every-frame poses as the reference.

How it is counted: each pose the every-frame run kept (after the quality filter) is matched
with the followed run's closest kept pose of the same frame (mean distance over the reference
keypoints scoring at least REFERENCE_SCORE); each of those keypoints is correct when within
PCK_ALPHA x the reference pose's torso size. A reference pose with no followed pose in its
frame (the followed run missed or refused that person) counts as all its keypoints wrong.
Followed poses the reference does not have are not counted.

The every-frame poses are not the truth: `pck_against_truth` scores a bank against the tfjs
sample clip's own per-frame keypoints (pose_1.json), the one sample video that has them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from movemirror.datasets.tfjs_reference import FPS, load_reference_keypoints
from movemirror.pose.metrics import pck_hits

# Reference keypoints below this score are not counted (the model is not sure where they are).
REFERENCE_SCORE = 0.3
PCK_ALPHA = 0.2  # a keypoint is correct within this fraction of the torso size


def frame_poses(bank) -> dict[tuple[str, float], list[np.ndarray]]:
    """A video bank's keypoints by (source, frame time)."""
    out: dict[tuple[str, float], list[np.ndarray]] = defaultdict(list)
    sources = bank.records.column("source").to_pylist()
    times = bank.records.column("frame_time").to_pylist()
    for source, t, keypoints in zip(sources, times, bank.keypoints, strict=True):
        out[source, round(float(t), 3)].append(keypoints)
    return out


def pck_against(reference, followed, alpha: float = PCK_ALPHA) -> dict:
    """PCK of the followed bank's poses against the reference bank's (same videos), over all
    of them and by video (`videos`, keyed by file name); see the module's docstring."""
    return pck_of_frames(frame_poses(reference), frame_poses(followed), alpha)


def pck_of_frames(reference: dict, followed: dict, alpha: float = PCK_ALPHA) -> dict:
    """pck_against on poses by (source, frame time), as frame_poses gives them."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # hits, keypoints, ...
    for key, poses in reference.items():
        candidates = followed.get(key, [])
        tally = tallies[Path(key[0]).name]
        for truth in poses:
            truth = truth.copy()
            truth[:, 2] = truth[:, 2] >= REFERENCE_SCORE
            best = _closest(truth, candidates)
            hits, total = pck_hits(best, truth, alpha)
            tally[0] += hits
            tally[1] += total
            tally[2] += 1  # reference poses
            tally[3] += best is None  # of which unmatched
    overall = [sum(t[i] for t in tallies.values()) for i in range(4)]
    return {**_summary(overall), "alpha": alpha,
            "videos": {name: _summary(t) for name, t in sorted(tallies.items())}}


def truth_frames(frames: Iterable[tuple[str, float]]) -> dict[tuple[str, float], list]:
    """The reference keypoints (each scored 1, so all count) of those frames, keyed (source,
    frame time) as frame_poses keys them, that are of the tfjs sample clip (a pose_1.mp4 with
    its pose_1.json beside it); the other videos' frames are left out."""
    out: dict[tuple[str, float], list[np.ndarray]] = {}
    loaded: dict[Path, np.ndarray] = {}
    for source, t in frames:
        json_path = Path(source).with_suffix(".json")
        if Path(source).name != "pose_1.mp4" or not json_path.is_file():
            continue
        if json_path not in loaded:
            xy = load_reference_keypoints(json_path)
            loaded[json_path] = np.concatenate([xy, np.ones((*xy.shape[:2], 1), np.float32)],
                                               axis=2)
        frame = round(t * FPS)
        if frame < len(loaded[json_path]):
            out[source, t] = [loaded[json_path][frame]]
    return out


def _summary(tally: list[int]) -> dict:
    hits, keypoints, poses, unmatched = tally
    return {"pck": round(hits / keypoints, 4) if keypoints else None, "keypoints": keypoints,
            "reference_poses": poses, "unmatched_poses": unmatched}


def _closest(truth: np.ndarray, candidates: list[np.ndarray]) -> np.ndarray | None:
    if not candidates:
        return None
    seen = truth[:, 2] > 0
    if not seen.any():
        return candidates[0]
    distances = [np.linalg.norm(c[seen, :2] - truth[seen, :2], axis=1).mean() for c in candidates]
    return candidates[int(np.argmin(distances))]
