"""The one keypoint schema: PoseNet's 17 keypoints, the skeleton and the left/right swap.

A pose is a float array of shape (17, 3): x and y in pixels of its image, then a score in [0, 1].
"""

from __future__ import annotations

import numpy as np

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
KEYPOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

# Edges drawn between keypoints, as in tfjs-models' pose-detection.
SKELETON_EDGES: tuple[tuple[int, int], ...] = tuple(
    (KEYPOINT_INDEX[a], KEYPOINT_INDEX[b])
    for a, b in (
        ("nose", "left_eye"),
        ("nose", "right_eye"),
        ("left_eye", "left_ear"),
        ("right_eye", "right_ear"),
        ("left_shoulder", "right_shoulder"),
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_hip", "right_hip"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
    )
)


def _swap_permutation() -> tuple[int, ...]:
    swapped = []
    for name in KEYPOINT_NAMES:
        if name.startswith("left_"):
            name = "right_" + name[len("left_") :]
        elif name.startswith("right_"):
            name = "left_" + name[len("right_") :]
        swapped.append(KEYPOINT_INDEX[name])
    return tuple(swapped)


# MIRROR_PERMUTATION[i] is the keypoint that takes keypoint i's role in the mirrored image.
MIRROR_PERMUTATION: tuple[int, ...] = _swap_permutation()
_MIRROR_INDEX = np.array(MIRROR_PERMUTATION)  # for indexing without converting the tuple

# Keypoints of the body (no face): what "full body" and body-joint accuracy refer to.
BODY_KEYPOINTS: tuple[int, ...] = tuple(range(5, 17))
# The body's segments: the skeleton's edges between body keypoints (the limbs and the
# torso's four sides), what limb directions are measured on.
BODY_SEGMENTS: tuple[tuple[int, int], ...] = tuple(
    (a, b) for a, b in SKELETON_EDGES if a in BODY_KEYPOINTS and b in BODY_KEYPOINTS)


def mirror_keypoints(keypoints: np.ndarray, image_width: float | None = None) -> np.ndarray:
    """Mirror poses left to right: flip x and swap left/right keypoints.

    keypoints: (..., 17, 3). Without image_width, x is negated (enough for bounding-box
    normalised vectors, which do not depend on where the pose stands).
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    mirrored = keypoints[..., _MIRROR_INDEX, :]  # a copy: fancy indexing
    if image_width is None:
        mirrored[..., 0] = -mirrored[..., 0]
    else:
        mirrored[..., 0] = image_width - mirrored[..., 0]
    return mirrored
