"""Following people through a video: find them once, then refine each on the crop their last
pose gives, as MoveNet's own video tracking does.

Finding people (MultiPose, then one crop pass a person) costs a MultiPose inference more per
frame than following them (one crop pass a person). The people are found again every
`detect_every` sampled frames (to pick up newcomers), at a scene cut (a cheap frame-difference
check), and whenever a followed person's pose drops below the estimator's pose score (lost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from movemirror.pose import DetectedPose

# The scene-cut check: a colour histogram (4 levels a channel) of the frame taken every few
# pixels, so that about this many pixels are read along the longer side.
SIGNATURE_SIDE = 96
COLOUR_LEVELS = 4
# Share of the pixels (0..1) that would have to change colour bin to turn one histogram into
# the other, above which the scene is taken to have changed. A histogram ignores where
# things are, so people walking or a panning camera barely move it: consecutive samples of
# the sample videos (5 a second) differ by under 0.06 but once (0.12, the street video's
# first frames); any two frames of two different sample videos by over 0.14.
SCENE_CUT = 0.1


def frame_signature(frame: np.ndarray) -> np.ndarray:
    """The colour histogram of an RGB frame, summing to 1."""
    step = max(1, max(frame.shape[:2]) // SIGNATURE_SIDE)
    bins = (frame[::step, ::step].reshape(-1, 3) // (256 // COLOUR_LEVELS)).astype(np.intp)
    codes = (bins[:, 0] * COLOUR_LEVELS + bins[:, 1]) * COLOUR_LEVELS + bins[:, 2]
    histogram = np.bincount(codes, minlength=COLOUR_LEVELS**3).astype(np.float32)
    return histogram / max(1.0, float(histogram.sum()))


def scene_changed(before: np.ndarray, after: np.ndarray, threshold: float = SCENE_CUT) -> bool:
    """Whether two signatures (frame_signature) look like different scenes."""
    return float(np.abs(before - after).sum()) / 2 > threshold


def detect(estimator, frame: np.ndarray, max_people: int, single_person_model: bool) -> list:
    """The people of one frame, found from scratch."""
    poses = estimator.estimate(frame, max_people=max_people)
    if not poses and max_people > 1 and single_person_model:
        # MultiPose, which finds the people for the single-person model, misses some bodies
        # the single-person model finds on its own (upside down, contorted: about one LSPET
        # photo in nine, half of which then pass the filters). Only such frames pay for it.
        poses = estimator.estimate(frame, max_people=1)
    return poses


class Follower:
    """The poses of a video's frames, in order, following people between detections.

    detect_every: sampled frames between detections (1: detect on every frame, no following).
    worth_following(pose, frame): whether a detected person is followed until the next
    detection (None: everyone); the run follows only people its quality filter keeps, since
    the others would be refused on every frame anyway. Person numbers are positions in the
    list followed, kept until the next detection.
    """

    def __init__(self, estimator, max_people: int, single_person_model: bool,
                 detect_every: int, scene_cut: float = SCENE_CUT,
                 worth_following: Callable[[DetectedPose, np.ndarray], bool] | None = None):
        self.estimator = estimator
        self.max_people = max_people
        self.single_person_model = single_person_model
        self.detect_every = detect_every if single_person_model else 1
        self.scene_cut = scene_cut
        self.worth_following = worth_following
        self.previous: list = []
        self.signature: np.ndarray | None = None
        self.since_detection = 0
        self.detections = 0  # how many frames ran the detector (for benchmarks)

    def poses(self, frame: np.ndarray) -> list:
        signature = frame_signature(frame)
        cut = self.signature is None or scene_changed(self.signature, signature, self.scene_cut)
        self.signature = signature
        self.since_detection += 1
        if cut or not self.previous or self.since_detection >= self.detect_every:
            return self._detect(frame)
        followed = self.estimator.follow(frame, [p.keypoints for p in self.previous])
        if any(p.score < self.estimator.min_pose_score for p in followed):
            return self._detect(frame)  # someone was lost: find everyone again
        self.previous = followed
        return followed

    def _detect(self, frame: np.ndarray) -> list:
        self.detections += 1
        self.since_detection = 0
        found = detect(self.estimator, frame, self.max_people, self.single_person_model)
        keep = self.worth_following
        self.previous = found if keep is None else [p for p in found if keep(p, frame)]
        return found
