"""Single-person MoveNet with its own cropping, plus test-time augmentation.

MoveNet works best on a square crop around the body (its TF.js version crops each video frame
around the previous frame's keypoints). For a still photo: find the body on the whole frame,
then run again on a square crop around it. The "accurate" mode also tries the crop mirrored and
turned by 90/180/270 degrees (upside-down gymnastics and parkour), and keeps, per keypoint, the
average of the candidates that agree with the most confident candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from movemirror.errors import InvalidArgumentError
from movemirror.pose.crops import (
    CROP_KEYPOINT_SCORE,
    CropTransform,
    box_crop,
    full_frame,
    keypoint_box,
)
from movemirror.pose.movenet import MoveNet


@dataclass(frozen=True)
class Strategy:
    """How many passes and which augmented crops to run (see MODES)."""

    crop: bool = True  # second pass on a crop around the first pass's body
    iterations: int = 1  # crop passes before augmentation (each re-centres the crop)
    expands: tuple[float, ...] = (1.25,)  # crop side / body box side
    angles: tuple[float, ...] = (0.0,)
    flips: bool = False
    # Skip the rotated crops when the upright ones already score this well (0 = never skip).
    confident: float = 0.0
    fuse_radius: float = 0.05  # fraction of the body size within which candidates agree
    # Pose score below which no pose is reported. Picking the best of many candidates raises
    # scores on person-free photos too, so the augmented mode needs a higher bar.
    min_pose_score: float = 0.2
    # A second model (BlazePose) run on the found body and combined keypoint by keypoint.
    ensemble: str | None = None


# Two crop sizes, mirrored, and turned by 90/180/270 degrees when the upright crops are unsure
# (on LSPET's first 300 photos: as accurate as always turning, at about 9 instead of 17
# inferences per photo).
_ACCURATE = Strategy(
    expands=(1.25, 1.5),
    angles=(0.0, 90.0, 180.0, 270.0),
    flips=True,
    confident=0.55,
    min_pose_score=0.25,
)

MODES: dict[str, Strategy] = {
    # One pass over the letterboxed frame, as a naive port would.
    "fast": Strategy(crop=False),
    # MoveNet's own two passes: find the body, run again on a square crop around it.
    "crop": Strategy(),
    # MoveNet alone, as accurate as it gets: crops augmented (see _ACCURATE).
    "accurate": _ACCURATE,
    # The default: "accurate", then BlazePose Heavy on an upright crop of the body found, the
    # two poses combined keypoint by keypoint (combine.combine_poses).
    "best": replace(_ACCURATE, ensemble="blazepose-heavy"),
}
DEFAULT_MODE = "best"


def get_strategy(mode: str) -> Strategy:
    """The mode's strategy; InvalidArgumentError naming the modes for anything else (a list
    too, which a lookup would refuse as unhashable)."""
    if isinstance(mode, str) and mode in MODES:
        return MODES[mode]
    raise InvalidArgumentError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


def estimate_single(net: MoveNet, image: Image.Image, strategy: Strategy) -> np.ndarray:
    """The one pose MoveNet finds in `image`: (17, 3) x, y in pixels, score."""
    keypoints = net.infer(image, full_frame(image.width, image.height))
    if not strategy.crop:
        return keypoints
    return refine(net, image, keypoints, strategy)


def refine(
    net: MoveNet, image: Image.Image, keypoints: np.ndarray, strategy: Strategy
) -> np.ndarray:
    """Run the crop passes around a first estimate (from a full frame or a person detector)."""
    for _ in range(strategy.iterations):
        box = keypoint_box(keypoints, CROP_KEYPOINT_SCORE)
        if box is None:
            return keypoints
        upright = [_candidate(net, image, box, e, 0.0, False) for e in strategy.expands]
        if len(upright) == 1 and not strategy.flips and strategy.angles == (0.0,):
            keypoints = upright[0]
            continue
        candidates = list(upright)
        if strategy.flips:
            candidates += [_candidate(net, image, box, e, 0.0, True) for e in strategy.expands]
        best = max(pose_score(c) for c in candidates)
        if strategy.confident <= 0 or best < strategy.confident:
            for angle in strategy.angles:
                if angle == 0.0:
                    continue
                for expand in strategy.expands:
                    for flip in (False, True) if strategy.flips else (False,):
                        candidates.append(_candidate(net, image, box, expand, angle, flip))
        keypoints = fuse(candidates, strategy.fuse_radius)
    return keypoints


def _candidate(
    net: MoveNet,
    image: Image.Image,
    box: tuple[float, float, float, float],
    expand: float,
    angle: float,
    flip: bool,
) -> np.ndarray:
    crop = box_crop(box, expand)
    return net.infer(image, CropTransform(crop.cx, crop.cy, crop.size, angle=angle, flip=flip))


def pose_score(keypoints: np.ndarray) -> float:
    """A pose's score: the mean of its keypoint scores."""
    return float(keypoints[:, 2].mean())


def fuse(candidates: list[np.ndarray], radius: float) -> np.ndarray:
    """Per keypoint, the score-weighted mean of the candidates that agree with the best one.

    The best candidate (highest pose score) decides where each keypoint is; others only
    refine it where they land within `radius` x body size, so a wrong guess (a leg taken for an
    arm in a turned crop) cannot drag a keypoint halfway across.
    """
    stack = np.stack(candidates)
    best = stack[int(np.argmax(stack[:, :, 2].mean(axis=1)))]
    size = float(np.ptp(best[:, :2], axis=0).max()) + 1e-6
    out = best.copy()
    dist = np.linalg.norm(stack[:, :, :2] - best[None, :, :2], axis=2)  # (candidates, 17)
    weight = np.where(dist < radius * size, stack[:, :, 2], 0.0) + 1e-9 * (dist == 0)
    total = weight.sum(axis=0)
    out[:, :2] = (stack[:, :, :2] * weight[:, :, None]).sum(axis=0) / total[:, None]
    out[:, 2] = (stack[:, :, 2] * weight).sum(axis=0) / total
    return out
