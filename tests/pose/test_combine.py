"""Combining two models' poses: average where they agree, trust the surer one where not."""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.pose.combine import combine_poses


def _pose(rng: np.random.Generator) -> np.ndarray:
    pose = np.zeros((17, 3), np.float32)
    pose[:, :2] = rng.uniform(100, 300, (17, 2))
    pose[KEYPOINT_INDEX["left_shoulder"], :2] = (150, 100)
    pose[KEYPOINT_INDEX["right_hip"], :2] = (250, 300)  # torso diagonal about 224 px
    pose[:, 2] = rng.uniform(0.3, 0.9, 17)
    return pose


def test_identical_poses_combine_to_themselves():
    pose = _pose(np.random.default_rng(0))
    np.testing.assert_allclose(combine_poses(pose, pose), pose, atol=1e-4)


def test_agreeing_keypoints_are_averaged_by_score():
    first = _pose(np.random.default_rng(1))
    second = first.copy()
    wrist = KEYPOINT_INDEX["left_wrist"]
    first[wrist] = (200, 200, 0.2)
    second[wrist] = (210, 200, 0.6)  # 10 px apart: they agree
    out = combine_poses(first, second)
    np.testing.assert_allclose(out[wrist], (207.5, 200, 0.6), atol=1e-3)


def test_disagreeing_keypoints_take_the_more_confident_pose():
    first = _pose(np.random.default_rng(2))
    second = first.copy()
    knee, ankle = KEYPOINT_INDEX["right_knee"], KEYPOINT_INDEX["right_ankle"]
    first[knee], second[knee] = (100, 100, 0.3), (250, 250, 0.8)
    first[ankle], second[ankle] = (100, 300, 0.9), (300, 300, 0.5)
    out = combine_poses(first, second)
    np.testing.assert_allclose(out[knee], second[knee])
    np.testing.assert_allclose(out[ankle], first[ankle])
    assert out.dtype == np.float32 and out.shape == (17, 3)


def test_only_the_limbs_are_combined_by_default():
    first = _pose(np.random.default_rng(3))
    second = first.copy()
    second[:, :2] += 5.0  # agrees everywhere
    second[:, 2] = 1.0  # and is surer everywhere
    out = combine_poses(first, second)
    limbs = [KEYPOINT_INDEX[f"{s}_{j}"] for s in ("left", "right")
             for j in ("elbow", "wrist", "knee", "ankle")]
    others = [i for i in range(17) if i not in limbs]
    np.testing.assert_array_equal(out[others], first[others])  # face, shoulders, hips
    assert np.all(out[limbs, 2] == 1.0) and not np.allclose(out[limbs, :2], first[limbs, :2])
    everything = combine_poses(first, second, keypoints=tuple(range(17)))
    assert not np.allclose(everything[others, :2], first[others, :2])
