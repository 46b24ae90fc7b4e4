"""Penn Action's labels read into the schema (movemirror.datasets.penn_action), on real files."""

from __future__ import annotations

import numpy as np
from scipy.io import loadmat

from movemirror.datasets import dataset_dir
from movemirror.datasets.penn_action import OCCLUDED_SCORE, PENN_TO_SCHEMA, to_schema


def test_a_joint_marked_unlabelled_scores_zero_at_the_labelled_joints_centre():
    x = np.array([[0.75, 0.0, 0.75, 120.0, 0.75, 1.5] + [50.0] * 7])
    y = np.array([[0.75, 0.0, 300.0, 0.75, 0.75, 1.5] + [60.0] * 7])
    visibility = np.array([[0, 0, 0, 0, 1, 0] + [1] * 7])
    pose = to_schema(x, y, visibility)[0]
    scores = pose[[0, 5, 6, 7, 8, 9], 2]
    # corner marker, (0, 0), occluded at the left edge, occluded at the top edge, a visible
    # joint in the corner (kept: the annotator saw it there), another corner marker
    assert scores.tolist() == [0.0, 0.0, OCCLUDED_SCORE, OCCLUDED_SCORE, 1.0, 0.0]
    labelled = pose[:, 2] > 0
    centre = pose[labelled, :2].mean(axis=0)
    np.testing.assert_allclose(pose[[0, 5, 9], :2], [centre] * 3, rtol=1e-6)


def test_the_real_labels_unlabelled_corner_markers_score_zero(penn):
    for file in sorted((dataset_dir("penn-action-labels") / "labels").glob("*.mat")):
        mat = loadmat(file)
        marker = (mat["visibility"] == 0) & (mat["x"] <= 2) & (mat["y"] <= 2)
        if marker.any():
            break
    assert marker.any()
    clip = penn.keypoints[penn.clip == int(file.stem)]
    assert (clip[:, PENN_TO_SCHEMA, 2][marker] == 0).all()
    assert (clip[:, PENN_TO_SCHEMA, 2][~marker] > 0).all()
    assert not ((penn.keypoints[..., :2] <= 2).all(axis=-1) & (penn.keypoints[..., 2] > 0)
                & (penn.keypoints[..., 2] < 1)).any()


def test_every_unlabelled_joint_lies_within_its_pose_s_labelled_joints(penn):
    # At the corner, an unlabelled joint was clipped onto the box's left edge, and onto its
    # right edge once mirrored: the mirrored pose was not the pose's mirror image.
    poses = penn.keypoints[(penn.keypoints[:, 5:, 2] == 0).any(axis=1)]
    assert len(poses) > 10_000
    labelled = poses[..., 2] > 0
    xy = poses[..., :2]
    lo = np.where(labelled[..., None], xy, np.inf).min(axis=1, keepdims=True)
    hi = np.where(labelled[..., None], xy, -np.inf).max(axis=1, keepdims=True)
    some = labelled.any(axis=1)
    inside = (xy[some] >= lo[some] - 1e-3) & (xy[some] <= hi[some] + 1e-3)
    assert inside.all()
