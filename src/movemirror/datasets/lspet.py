"""Leeds Sports Pose Extended (LSPET): sport photos with 14 annotated joints.

The folder holds `images/imNNNNN.jpg` and `joints.mat` ('joints', shape 14 x 3 x N: x, y,
visible). Only the 12 body joints map onto the COCO/PoseNet schema; neck and head top do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

# LSPET joint order -> COCO keypoint name (neck and head top have no COCO counterpart).
LSPET_TO_COCO: tuple[str | None, ...] = (
    "right_ankle",
    "right_knee",
    "right_hip",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_wrist",
    "right_elbow",
    "right_shoulder",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    None,
    None,
)


@dataclass(frozen=True)
class LspetSample:
    """One photo: its path and its joints in the COCO schema.

    joints: (17, 3) float32, x, y in pixels, then 1 where the joint is annotated as visible
    and 0 where it is occluded or has no COCO counterpart (face keypoints).
    """

    path: Path
    joints: np.ndarray


def lspet_to_coco(joints14: np.ndarray) -> np.ndarray:
    """Map one (14, 3) LSPET annotation onto a (17, 3) COCO-ordered array."""
    out = np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)
    for i, name in enumerate(LSPET_TO_COCO):
        if name is not None:
            out[KEYPOINT_INDEX[name]] = joints14[i]
    return out


def load_lspet(root: Path, limit: int | None = None, start: int = 0) -> list[LspetSample]:
    """Load samples start .. start+limit (in file order: im00001 is index 0)."""
    from scipy.io import loadmat

    root = Path(root)
    joints_path = root / "joints.mat"
    if not joints_path.is_file():
        raise FileNotFoundError(f"LSPET annotations not found: {joints_path}")
    joints = np.asarray(loadmat(joints_path)["joints"], dtype=np.float32)  # (14, 3, N)
    if joints.shape[:2] != (14, 3):
        raise ValueError(f"{joints_path}: expected joints of shape (14, 3, N), got {joints.shape}")
    count = joints.shape[2]
    stop = count if limit is None else min(count, start + limit)
    samples = []
    for i in range(start, stop):
        path = root / "images" / f"im{i + 1:05d}.jpg"
        if path.is_file():
            samples.append(LspetSample(path=path, joints=lspet_to_coco(joints[:, :, i])))
    return samples
