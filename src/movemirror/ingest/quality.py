"""Which detected poses are worth keeping: pure checks on keypoints, score and box.

Move Mirror kept only frames that parsed well and showed the whole body; the defaults do
the same and each threshold is an option.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.vectors import MIN_SCORE, pose_problems

# "Full body": the person's whole height is in view, from head to foot. Each group needs one
# confident keypoint (an arm or a leg hidden behind the body still counts as a full body).
FULL_BODY_GROUPS: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
    (label, tuple(KEYPOINT_INDEX[n] for n in names)) for label, names in (
        ("head", ("nose", "left_eye", "right_eye", "left_ear", "right_ear")),
        ("shoulders", ("left_shoulder", "right_shoulder")),
        ("hips", ("left_hip", "right_hip")),
        ("knees", ("left_knee", "right_knee")),
        ("ankles", ("left_ankle", "right_ankle")),
    )
)


@dataclass(frozen=True)
class QualityFilter:
    min_pose_score: float = 0.25
    min_keypoints: int = 10  # keypoints with score >= keypoint_score
    keypoint_score: float = MIN_SCORE
    full_body: bool = True
    min_person_size: float = 0.25  # box height (or width) as a fraction of the frame's height

    def problem(self, keypoints: np.ndarray, score: float, box, frame_size) -> str | None:
        """None if the pose passes, else a short reason (the same wording for the same cause,
        so that reasons can be counted)."""
        keypoints = np.asarray(keypoints, dtype=np.float32)
        if score < self.min_pose_score:
            return f"pose score below {self.min_pose_score:g}"
        confident = keypoints[:, 2] >= self.keypoint_score
        if confident.sum() < self.min_keypoints:
            return f"fewer than {self.min_keypoints} confident keypoints"
        if self.full_body:
            if not all(confident[list(group)].any() for _, group in FULL_BODY_GROUPS):
                return "not full body"
        width, height = frame_size
        x0, y0, x1, y1 = box
        if max(x1 - x0, y1 - y0) < self.min_person_size * min(width, height):
            return f"person smaller than {self.min_person_size:g} of the frame"
        # Whatever the options, the bank must be able to turn the pose into a search vector.
        if pose_problems(keypoints)[0] is not None:
            return "pose too uncertain to search"
        return None


def largest(boxes) -> int:
    """Index of the box with the largest area."""
    areas = [max(0.0, x1 - x0) * max(0.0, y1 - y0) for x0, y0, x1, y1 in boxes]
    return int(np.argmax(areas))
