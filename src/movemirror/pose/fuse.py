"""Fusing several estimates of one person's pose (two or three models', or one model's on the
photo and on its mirror image) into one, keypoint by keypoint.

Pure maths on (17, 3) arrays (x, y, score in image pixels). Per keypoint the fused point is
the score-weighted mean of the estimates that agree with their consensus; an estimate that is
another person is left out whole, one whose left and right of a pair are swapped against the
others' is left out for that pair, and one far from the others at a keypoint (more than
`agree` torsos from their medoid) is left out there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from movemirror.errors import InvalidArgumentError
from movemirror.keypoints import BODY_KEYPOINTS, KEYPOINT_INDEX, MIRROR_PERMUTATION, NUM_KEYPOINTS

# Keypoints scoring under this do not count as seen when estimates are compared.
SEEN = 0.2
# Left/right pairs: (left keypoint, its right counterpart), body and face.
PAIRS: tuple[tuple[int, int], ...] = tuple(
    (i, j) for i, j in enumerate(MIRROR_PERMUTATION) if i < j)
_DIAGONALS = (
    (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]),
    (KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]),
)
# How a fused keypoint's score is made (FuseSettings.score).
SCORE_RULES = ("kept", "all", "max")


@dataclass(frozen=True)
class FuseSettings:
    # A keypoint further than this many torsos from the estimates' medoid is left out there
    # (0.5 chosen on the quality bench's tuning queries over 0.3: docs/match-quality.md).
    agree: float = 0.5
    # Another person: the median distance of the seen body keypoints over this many torsos.
    same_person: float = 0.5
    # A pair counts as swapped when crossing it is closer by this many torsos.
    swap_margin: float = 0.1
    # The fused score: "kept" (the mean score of the estimates kept there), "all" (the mean
    # over every estimate that has the person, a disagreement lowering it) or "max".
    score: str = "kept"

    def __post_init__(self) -> None:
        if self.score not in SCORE_RULES:
            raise InvalidArgumentError(
                f"score must be one of {', '.join(SCORE_RULES)}, not {self.score!r}")


DEFAULT_SETTINGS = FuseSettings()


def torso_size(pose: np.ndarray) -> float:
    """The longer torso diagonal (shoulder to opposite hip) in pixels, at least 1; from the
    seen keypoints' extent where the torso is not seen."""
    sizes = [float(np.linalg.norm(pose[a, :2] - pose[b, :2])) for a, b in _DIAGONALS
             if pose[a, 2] >= SEEN and pose[b, 2] >= SEEN]
    if sizes:
        return max(max(sizes), 1.0)
    seen = pose[pose[:, 2] >= SEEN, :2]
    if len(seen) >= 2:
        return max(float(np.max(seen.max(axis=0) - seen.min(axis=0))) / 2, 1.0)
    return 1.0


def same_person(reference: np.ndarray, other: np.ndarray, settings: FuseSettings) -> bool:
    """Whether `other` is the person of `reference`: their seen body keypoints (each pair
    compared either way round) lie within settings.same_person torsos of each other, median."""
    body = np.array(BODY_KEYPOINTS)
    seen = (reference[body, 2] >= SEEN) & (other[body, 2] >= SEEN)
    if seen.sum() < 3:
        return False
    crossed = other[list(MIRROR_PERMUTATION)]
    gaps = np.minimum(np.linalg.norm(reference[body, :2] - other[body, :2], axis=1),
                      np.linalg.norm(reference[body, :2] - crossed[body, :2], axis=1))
    return float(np.median(gaps[seen])) <= settings.same_person * torso_size(reference)


def _swapped(a: np.ndarray, b: np.ndarray, pair: tuple[int, int], margin: float) -> bool:
    """Whether a's pair is crossed against b's (both seen on both keypoints)."""
    left, right = pair
    if min(a[left, 2], a[right, 2], b[left, 2], b[right, 2]) < SEEN:
        return False
    straight = (np.linalg.norm(a[left, :2] - b[left, :2])
                + np.linalg.norm(a[right, :2] - b[right, :2]))
    crossed = (np.linalg.norm(a[left, :2] - b[right, :2])
               + np.linalg.norm(a[right, :2] - b[left, :2]))
    return bool(crossed + margin < straight)


def fuse_poses(poses: Sequence[np.ndarray | None],
               settings: FuseSettings = DEFAULT_SETTINGS) -> np.ndarray | None:
    """One (17, 3) pose from several estimates of the same person (None or empty: that
    estimate has nobody). The most confident estimate (body keypoints' mean score) is the
    reference; estimates of another person are left out. Scores of NaN or below 0 count as 0
    (a missing keypoint); a keypoint no estimate has keeps the reference's point, score 0.
    None when no estimate has anybody."""
    found = [_clean(p) for p in poses if p is not None and len(p)]
    if not found:
        return None
    body = list(BODY_KEYPOINTS)
    found.sort(key=lambda p: -float(p[body, 2].mean()))
    reference = found[0]
    kept = [reference] + [p for p in found[1:] if same_person(reference, p, settings)]
    if len(kept) == 1:
        return reference.copy()
    stack = np.stack(kept)  # (M, 17, 3)
    weights = stack[:, :, 2].astype(np.float64).copy()  # (M, 17)
    torso = torso_size(reference)
    _drop_swapped(stack, weights, settings.swap_margin * torso)
    _drop_outliers(stack, weights, settings.agree * torso)
    out = reference.copy()
    total = weights.sum(axis=0)
    has = total > 0
    out[has, :2] = ((weights[:, has, None] * stack[:, has, :2]).sum(axis=0)
                    / total[has, None]).astype(np.float32)
    kept_mask = weights > 0
    if settings.score == "kept":
        counts = np.maximum(kept_mask.sum(axis=0), 1)
        score = (stack[:, :, 2] * kept_mask).sum(axis=0) / counts
    elif settings.score == "all":
        score = stack[:, :, 2].mean(axis=0)
    else:
        score = (stack[:, :, 2] * kept_mask).max(axis=0)
    out[:, 2] = np.where(has, score, 0.0).astype(np.float32)
    return out


def _clean(pose: np.ndarray) -> np.ndarray:
    pose = np.array(pose, dtype=np.float32).reshape(NUM_KEYPOINTS, 3)
    bad = ~np.isfinite(pose).all(axis=1) | (pose[:, 2] < 0)
    pose[bad] = 0.0
    return pose


def _drop_swapped(stack: np.ndarray, weights: np.ndarray, margin: float) -> None:
    """Per left/right pair: an estimate crossed against most of the others loses the pair;
    if every estimate is (two estimates crossed against each other), only the most confident
    on that pair keeps it."""
    count = len(stack)
    for pair in PAIRS:
        crossed = np.zeros((count, count), bool)
        for a in range(count):
            for b in range(a + 1, count):
                crossed[a, b] = crossed[b, a] = _swapped(stack[a], stack[b], pair, margin)
        against = crossed.sum(axis=1) * 2 > count - 1
        if not against.any():
            continue
        if against.all():
            best = int(np.argmax(weights[:, list(pair)].sum(axis=1)))
            against[best] = False
        weights[np.ix_(against, pair)] = 0.0


def _drop_outliers(stack: np.ndarray, weights: np.ndarray, radius: float) -> None:
    """Per keypoint: the medoid of the estimates that have it (least weighted distance to the
    others; ties to the more confident), and those further than radius from it left out."""
    for k in range(stack.shape[1]):
        have = np.flatnonzero(weights[:, k] > 0)
        if len(have) < 2:
            continue
        points = stack[have, k, :2].astype(np.float64)
        dist = np.linalg.norm(points[:, None] - points[None], axis=2)
        cost = dist @ weights[have, k]
        medoid = int(np.lexsort((-weights[have, k], cost))[0])
        far = dist[medoid] > radius
        weights[have[far], k] = 0.0


def unmirror(pose: np.ndarray, width: float) -> np.ndarray:
    """A pose estimated on the mirror image of a photo `width` pixels wide, in the photo's own
    coordinates: x mirrored back and left and right swapped (an involution)."""
    pose = np.asarray(pose, dtype=np.float32)
    out = pose[list(MIRROR_PERMUTATION)].copy()
    out[:, 0] = width - out[:, 0]
    return out
