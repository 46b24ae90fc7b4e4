"""estimate() on real photos: keypoints land near the annotations; nobody means no pose."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from movemirror.pose import DetectedPose, PoseEstimator, estimate

# A held-back slice of LSPET (the modes were tuned on the first 1,000 photos).
LSPET_START, LSPET_COUNT = 5900, 80


@pytest.fixture(scope="module")
def lspet(shared):
    from movemirror.datasets.lspet import load_lspet

    return load_lspet(shared("lspet"), limit=LSPET_COUNT, start=LSPET_START)


@pytest.mark.slow
def test_keypoints_land_near_lspet_annotations_and_cropping_helps(models_ready, lspet, pck_of):
    fast = pck_of(PoseEstimator("thunder", mode="fast"), lspet)
    crop = pck_of(PoseEstimator("thunder", mode="crop"), lspet)
    accurate = pck_of(PoseEstimator("thunder", mode="accurate"), lspet[:30])
    accurate_crop = pck_of(PoseEstimator("thunder", mode="crop"), lspet[:30])
    assert crop > fast + 0.04, (fast, crop)
    assert crop > 0.55, crop
    assert accurate >= accurate_crop, (accurate_crop, accurate)
    assert accurate > 0.6, accurate


def test_result_types_and_input_kinds_agree(models_ready, pose_jpg):
    estimator = PoseEstimator("lightning", mode="crop")
    by_path = estimator.estimate(pose_jpg)
    by_pil = estimator.estimate(Image.open(pose_jpg))
    by_array = estimator.estimate(np.asarray(Image.open(pose_jpg).convert("RGB")))
    assert len(by_path) == len(by_pil) == len(by_array) == 1
    pose = by_path[0]
    assert isinstance(pose, DetectedPose) and pose.model == "lightning"
    assert pose.keypoints.shape == (17, 3) and pose.keypoints.dtype == np.float32
    np.testing.assert_allclose(by_pil[0].keypoints, pose.keypoints, atol=1e-4)
    np.testing.assert_allclose(by_array[0].keypoints, pose.keypoints, atol=1e-4)
    assert 0.3 < pose.score <= 1
    assert np.all((pose.keypoints[:, 2] >= 0) & (pose.keypoints[:, 2] <= 1))
    x0, y0, x1, y1 = pose.box
    inside = pose.keypoints[pose.keypoints[:, 2] > 0.2, :2]
    assert np.all(inside >= [x0 - 1e-3, y0 - 1e-3]) and np.all(inside <= [x1 + 1e-3, y1 + 1e-3])
    with pytest.raises(AttributeError):
        pose.score = 1.0  # frozen


def test_huge_image_gives_keypoints_in_its_own_pixels(models_ready, pose_jpg, tmp_path):
    estimator = PoseEstimator("lightning", mode="crop")
    (small,) = estimator.estimate(pose_jpg)
    big_path = tmp_path / "big.jpg"
    Image.open(pose_jpg).resize((5000, 3335), Image.Resampling.BICUBIC).save(big_path)
    (big,) = estimator.estimate(big_path)
    confident = (small.keypoints[:, 2] > 0.5) & (big.keypoints[:, 2] > 0.5)
    assert confident.sum() >= 10
    scaled = big.keypoints[confident, :2] / 5
    error = np.linalg.norm(scaled - small.keypoints[confident, :2], axis=1)
    assert np.median(error) < 6, error


def test_blank_and_noise_give_no_pose(models_ready):
    rng = np.random.default_rng(0)
    for image in (
        np.zeros((480, 640, 3), np.uint8),
        np.full((480, 640, 3), 255, np.uint8),
        rng.integers(0, 256, (480, 640, 3), dtype=np.uint8),
    ):
        assert estimate(image) == []
        assert estimate(image, "lightning", mode="fast") == []
        assert estimate(image, "multipose", max_people=6) == []


def test_person_free_photos_mostly_give_no_pose(models_ready, shared):
    """COCO photos with no person annotation: the default reports nobody on nearly all."""
    from movemirror.datasets.coco import load_coco_keypoints

    root = shared("coco-mini")
    images = load_coco_keypoints(root / "annotations" / "person_keypoints_train2017.json",
                                 root / "train2017")
    empty = [img.path for img in images if not img.people][:25]
    assert len(empty) >= 20
    found = sum(bool(estimate(path, mode="crop")) for path in empty)
    assert found <= 2, found


def test_people_in_lspet_are_found(models_ready, lspet):
    estimator = PoseEstimator("thunder", mode="crop")
    missed = sum(not estimator.estimate(s.path) for s in lspet[:40])
    assert missed <= 3, missed


def test_several_people_get_separate_poses(models_ready, shared):
    photo = shared("tfjs-posenet-demo-images", "multi_skiing.jpg")
    for model in ("multipose", "lightning"):
        poses = estimate(photo, model, max_people=6, mode="crop")
        assert len(poses) >= 2, model
        assert [p.score for p in poses] == sorted((p.score for p in poses), reverse=True)
        centres = np.array([[(p.box[0] + p.box[2]) / 2, (p.box[1] + p.box[3]) / 2] for p in poses])
        gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2) + np.eye(len(poses)) * 1e9
        assert gaps.min() > 20, model


def test_multipose_matches_coco_annotations(models_ready, shared):
    """OKS keypoint AP of MultiPose on COCO's own annotations, images with keypoints only."""
    from movemirror.datasets.coco import load_coco_keypoints
    from movemirror.pose.metrics import coco_keypoint_ap

    root = shared("coco-mini")
    images = load_coco_keypoints(root / "annotations" / "person_keypoints_train2017.json",
                                 root / "train2017")
    annotated = [img for img in images if any(p.num_keypoints for p in img.people)][:15]
    estimator = PoseEstimator("multipose")
    pairs = []
    for img in annotated:
        poses = estimator.estimate(img.path, max_people=6, min_pose_score=0.1)
        pairs.append(([(p.keypoints, p.score) for p in poses], list(img.people)))
    result = coco_keypoint_ap(pairs)
    assert result["AP50"] > 0.3 and result["AP"] > 0.15, result
    rolled = pairs[1:] + pairs[:1]
    shuffled = [(d, t) for (d, _), (_, t) in zip(pairs, rolled, strict=True)]
    assert coco_keypoint_ap(shuffled)["AP"] < 0.1  # wrong images' poses do not match


def test_posenet_runs_on_a_person(models_ready, pose_jpg):
    (pose,) = estimate(pose_jpg, "posenet")
    (thunder,) = estimate(pose_jpg, "thunder", mode="crop")
    body = slice(5, 17)
    error = np.linalg.norm(pose.keypoints[body, :2] - thunder.keypoints[body, :2], axis=1)
    assert np.median(error) < 30, error


def test_follow_takes_one_pose_or_a_list_and_names_a_pose_of_another_shape(models_ready,
                                                                            pose_jpg):
    # follow once took a (5, 3) "pose" and answered with a (5, 3) one, and failed deep inside
    # (IndexError, "too many indices") on one pose given as a (17, 3) array, not a list.
    from movemirror.errors import PoseError

    estimator = PoseEstimator("lightning", mode="crop", threads=1)
    (found,) = estimator.estimate(pose_jpg)
    (one,) = estimator.follow(pose_jpg, found.keypoints)
    (listed,) = estimator.follow(pose_jpg, [found.keypoints])
    np.testing.assert_array_equal(one.keypoints, listed.keypoints)
    assert estimator.follow(pose_jpg, []) == []
    with pytest.raises(PoseError, match=r"got shape \(1, 5, 3\)"):
        estimator.follow(pose_jpg, [found.keypoints[:5]])
