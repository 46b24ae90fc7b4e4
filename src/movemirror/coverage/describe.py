"""Plain words for a pose: a few simple rules on its keypoints ("both wrists above the head").

Heights are measured along the body, not the picture: "up" is the direction from the middle
of the hips to the middle of the shoulders, and every length is a multiple of that torso
length, so the words do not depend on the pose's size or on a tilted camera. A rule whose
keypoints are not confidently seen does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.vectors import MIN_SCORE

_K = KEYPOINT_INDEX
# Multiples of the torso length (shoulder middle to hip middle).
HEAD_HEIGHT = 0.5  # the top of the head lies about this far above the shoulders
ARM_SPAN_OUT = 0.9  # a wrist this far sideways from the shoulders' middle is out to the side
LEVEL = 0.4  # at most this far above or below the shoulders counts as at shoulder height
SHIN_FLAT = 0.3  # an ankle within this height of its knee: the shin lies on the ground
# Angles in degrees.
BENT_KNEE = 100.0  # a knee angle below this is deeply bent
STRAIGHT_KNEE = 150.0  # above this, straight
UPRIGHT = 0.8  # |cos| of the torso's angle to the vertical: above it upright, below FLAT flat
FLAT = 0.5


@dataclass(frozen=True)
class _Body:
    """A pose in the body's frame: height(p) along the torso, side(p) across it."""

    pose: np.ndarray
    shoulders: np.ndarray
    hips: np.ndarray
    torso: float
    up: np.ndarray  # unit vector, image coordinates (y down)

    def seen(self, *names: str) -> bool:
        return all(self.pose[_K[n], 2] >= MIN_SCORE for n in names)

    def point(self, name: str) -> np.ndarray:
        return self.pose[_K[name], :2]

    def height(self, name: str) -> float:
        """How far above the shoulders' middle, along the body, in torso lengths."""
        return float((self.point(name) - self.shoulders) @ self.up) / self.torso

    def side(self, name: str) -> float:
        """How far from the body's axis, across it, in torso lengths."""
        d = self.point(name) - self.shoulders
        return abs(float(d[0] * self.up[1] - d[1] * self.up[0])) / self.torso

    def knee_angle(self, side: str) -> float:
        hip, knee, ankle = (self.point(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
        a, b = hip - knee, ankle - knee
        cos = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-9)
        return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _body(pose: np.ndarray) -> _Body | None:
    pose = np.asarray(pose, np.float64)
    torso_joints = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if any(pose[_K[n], 2] < MIN_SCORE for n in torso_joints):
        return None
    shoulders = (pose[_K["left_shoulder"], :2] + pose[_K["right_shoulder"], :2]) / 2
    hips = (pose[_K["left_hip"], :2] + pose[_K["right_hip"], :2]) / 2
    torso = float(np.linalg.norm(shoulders - hips))
    if torso < 1e-6:
        return None
    return _Body(pose, shoulders, hips, torso, (shoulders - hips) / torso)


def _wrist_above_head(body: _Body, side: str) -> bool:
    return body.seen(f"{side}_wrist") and body.height(f"{side}_wrist") > HEAD_HEIGHT


def _both_wrists_up(body: _Body) -> bool:
    return _wrist_above_head(body, "left") and _wrist_above_head(body, "right")


def _both_wrists_over_shoulders(body: _Body) -> bool:
    """Both wrists above the shoulders but not both above the head (a clean's front rack,
    hands at the bar of a press): said apart, so a sentence names the stronger only."""
    return (body.seen("left_wrist", "right_wrist") and not _both_wrists_up(body)
            and min(body.height("left_wrist"), body.height("right_wrist")) > 0)


def _one_wrist_up(body: _Body) -> bool:
    return _wrist_above_head(body, "left") != _wrist_above_head(body, "right")


def _arms_out(body: _Body) -> bool:
    return all(body.seen(f"{s}_wrist") and body.side(f"{s}_wrist") > ARM_SPAN_OUT
               and abs(body.height(f"{s}_wrist")) < LEVEL for s in ("left", "right"))


def _legs_seen(body: _Body) -> bool:
    return body.seen("left_knee", "right_knee", "left_ankle", "right_ankle")


def _upright(body: _Body) -> bool:
    return -body.up[1] >= FLAT


def _kneeling(body: _Body) -> bool:
    if not (_upright(body) and _legs_seen(body)):
        return False
    return any(body.height(f"{s}_knee") < body.height(f"{s}_hip")
               and abs(body.height(f"{s}_ankle") - body.height(f"{s}_knee")) < SHIN_FLAT
               and body.knee_angle(s) < STRAIGHT_KNEE for s in ("left", "right"))


def _crouching(body: _Body) -> bool:
    return (_upright(body) and _legs_seen(body) and not _kneeling(body)
            and all(body.knee_angle(s) < BENT_KNEE for s in ("left", "right")))


def _knee_raised(body: _Body) -> bool:
    return _legs_seen(body) and any(body.height(f"{s}_knee") >= body.height(f"{s}_hip")
                                    for s in ("left", "right"))


def _upside_down(body: _Body) -> bool:
    return body.up[1] > UPRIGHT  # y grows downwards: the body's up points down the picture


def _lying(body: _Body) -> bool:
    return abs(body.up[1]) < FLAT


def _standing_straight(body: _Body) -> bool:
    return (-body.up[1] > UPRIGHT and _legs_seen(body)
            and all(body.knee_angle(s) > STRAIGHT_KNEE for s in ("left", "right")))


@dataclass(frozen=True)
class Rule:
    phrase: str
    applies: Callable[[_Body], bool]


# In the order a sentence names them: the body's attitude, then the arms, then the legs.
RULES: tuple[Rule, ...] = (
    Rule("upside down", _upside_down),
    Rule("lying or leaning flat", _lying),
    Rule("standing straight", _standing_straight),
    Rule("both wrists above the head", _both_wrists_up),
    Rule("both wrists above the shoulders", _both_wrists_over_shoulders),
    Rule("one wrist above the head", _one_wrist_up),
    Rule("arms out to the side", _arms_out),
    Rule("kneeling", _kneeling),
    Rule("crouching", _crouching),
    Rule("a knee raised to hip height", _knee_raised),
)
PHRASES: tuple[str, ...] = tuple(rule.phrase for rule in RULES)


def describe(pose) -> tuple[str, ...]:
    """The phrases of RULES that hold for one pose (17, 3) in pixels, in RULES' order; none
    where the shoulders and hips are not all confidently seen."""
    body = _body(pose)
    if body is None:
        return ()
    return tuple(rule.phrase for rule in RULES if rule.applies(body))


def phrase_shares(poses) -> dict[str, float]:
    """For each phrase of RULES, the share of poses (N, 17, 3) it holds for."""
    poses = np.asarray(poses)
    counts = dict.fromkeys(PHRASES, 0)
    for pose in poses:
        for phrase in describe(pose):
            counts[phrase] += 1
    return {p: counts[p] / max(len(poses), 1) for p in PHRASES}


def shared_phrases(poses, share: float = 0.5) -> tuple[str, ...]:
    """The phrases that hold for at least `share` of poses (N, 17, 3), in RULES' order."""
    if not len(poses):
        return ()
    shares = phrase_shares(poses)
    return tuple(p for p in PHRASES if shares[p] >= share)


DISTINCT_SHARE = 1 / 3  # a phrase names a group when this share of it, and
DISTINCT_LIFT = 2.0  # this many times its share of all the poses, hold it


def distinctive_phrases(group, everyone, share: float = 0.5) -> tuple[str, ...]:
    """What sets a group of poses apart from everyone (both (N, 17, 3)): the phrases at least
    `share` of the group holds, and those DISTINCT_SHARE of it holds DISTINCT_LIFT times as
    often as everyone does. A rule with a strict threshold (a wrist half a torso above the
    shoulders) often holds for under half of a group that is plainly of its kind, yet for
    far more of it than of the rest."""
    if not len(group):
        return ()
    mine, theirs = phrase_shares(group), phrase_shares(everyone)
    return tuple(p for p in PHRASES if mine[p] >= share or (
        mine[p] >= DISTINCT_SHARE and mine[p] >= DISTINCT_LIFT * theirs[p]))
