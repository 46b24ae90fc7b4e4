"""How close the poses of a video indexed while following people are to those found from
scratch on every frame: PCK with the every-frame poses as the reference."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

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
    """PCK of the followed bank's poses against the reference bank's (same videos): each
    reference pose is matched with the closest followed pose of the same frame; a reference
    pose with none counts as all keypoints wrong."""
    ours = frame_poses(followed)
    correct = counted = missing = 0
    for key, poses in frame_poses(reference).items():
        candidates = ours.get(key, [])
        for truth in poses:
            truth = truth.copy()
            truth[:, 2] = truth[:, 2] >= REFERENCE_SCORE
            best = _closest(truth, candidates)
            missing += best is None
            hits, total = pck_hits(best, truth, alpha)
            correct += hits
            counted += total
    return {"pck": round(correct / counted, 4) if counted else None, "keypoints": counted,
            "reference_poses": sum(map(len, frame_poses(reference).values())),
            "unmatched_poses": missing, "alpha": alpha}


def _closest(truth: np.ndarray, candidates: list[np.ndarray]) -> np.ndarray | None:
    if not candidates:
        return None
    seen = truth[:, 2] > 0
    if not seen.any():
        return candidates[0]
    distances = [np.linalg.norm(c[seen, :2] - truth[seen, :2], axis=1).mean() for c in candidates]
    return candidates[int(np.argmin(distances))]
