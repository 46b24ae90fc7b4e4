"""The crop calculators: pure maths, checked on real pixels where pixels are involved."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from movemirror.keypoints import KEYPOINT_INDEX, MIRROR_PERMUTATION
from movemirror.pose.crops import (
    CropTransform,
    box_crop,
    crop_pixels,
    full_frame,
    keypoint_box,
    movenet_crop,
)
from movemirror.pose.multipose import input_shape


def test_window_centre_and_corners_map_to_the_crop():
    crop = CropTransform(100.0, 50.0, 40.0)
    xy = crop.to_image_xy(np.array([[0.5, 0.5], [0.0, 0.0], [1.0, 1.0]]))
    np.testing.assert_allclose(xy, [[100, 50], [80, 30], [120, 70]])
    assert crop.box() == pytest.approx((80, 30, 120, 70))


def test_half_turn_swaps_corners_and_flip_swaps_sides():
    turned = CropTransform(0.0, 0.0, 2.0, angle=180.0)
    np.testing.assert_allclose(turned.to_image_xy(np.array([[0.0, 0.0]])), [[1.0, 1.0]], atol=1e-9)
    flipped = CropTransform(0.0, 0.0, 2.0, flip=True)
    np.testing.assert_allclose(flipped.to_image_xy(np.array([[0.0, 0.0]])), [[1.0, -1.0]])


def test_flipped_window_permutes_left_and_right_back():
    raw = np.zeros((17, 3), dtype=np.float32)
    raw[:, 1] = np.linspace(0.1, 0.9, 17)  # x
    raw[:, 0] = 0.5
    raw[:, 2] = np.arange(17) / 17
    plain = CropTransform(50, 50, 100).to_image(raw)
    mirrored = CropTransform(50, 50, 100, flip=True).to_image(raw)
    # The mirrored window's "left wrist" is the plain window's right wrist, seen mirrored.
    lw, rw = KEYPOINT_INDEX["left_wrist"], KEYPOINT_INDEX["right_wrist"]
    assert mirrored[lw, 2] == plain[rw, 2]
    assert mirrored[lw, 0] == pytest.approx(100 - plain[rw, 0])
    np.testing.assert_array_equal(mirrored[:, 2], plain[list(MIRROR_PERMUTATION), 2])


def test_crop_pixels_match_the_image_region(pose_jpg):
    image = Image.open(pose_jpg).convert("RGB")
    crop = CropTransform(500.0, 333.0, 256.0)
    pixels = crop_pixels(image, crop, 256).astype(int)
    region = np.asarray(image.crop((372, 205, 628, 461))).astype(int)
    assert np.abs(pixels - region).mean() < 1.0


def test_turned_and_mirrored_crops_are_the_same_pixels_rearranged(pose_jpg):
    image = Image.open(pose_jpg).convert("RGB")
    base = crop_pixels(image, CropTransform(500.0, 400.0, 300.0), 128).astype(int)
    turned = crop_pixels(image, CropTransform(500.0, 400.0, 300.0, angle=180.0), 128)
    mirrored = crop_pixels(image, CropTransform(500.0, 400.0, 300.0, flip=True), 128)
    assert np.abs(np.rot90(turned, 2).astype(int) - base).mean() < 2.0
    assert np.abs(mirrored[:, ::-1].astype(int) - base).mean() < 2.0


def test_outside_the_image_is_black(pose_jpg):
    strip = Image.open(pose_jpg).convert("RGB").crop((0, 300, 1000, 400))
    pixels = crop_pixels(strip, full_frame(strip.width, strip.height), 64)  # letterboxed
    assert pixels[:25].max() == 0 and pixels[-25:].max() == 0
    assert pixels[29:35].mean() > 10


def test_movenet_crop_centres_on_the_hips_and_falls_back_without_a_torso():
    kp = np.zeros((17, 3), dtype=np.float32)
    for name, (x, y) in {
        "left_shoulder": (110, 100), "right_shoulder": (90, 100),
        "left_hip": (110, 140), "right_hip": (90, 140), "left_ankle": (110, 220),
    }.items():
        kp[KEYPOINT_INDEX[name]] = (x, y, 0.9)
    crop = movenet_crop(kp, 1000, 1000)
    assert (crop.cx, crop.cy) == pytest.approx((100, 140))
    assert crop.size == pytest.approx(2 * 80 * 1.2)  # the ankle is farthest: body ratio wins
    kp[:, 2] = 0.05
    assert movenet_crop(kp, 640, 480) == full_frame(640, 480)


def test_keypoint_box_and_box_crop():
    kp = np.array([[10, 20, 0.9], [30, 80, 0.5], [500, 500, 0.1]] + [[0, 0, 0]] * 14, np.float32)
    assert keypoint_box(kp, 0.2) == (10, 20, 30, 80)
    assert keypoint_box(kp, 0.95) is None
    crop = box_crop((10, 20, 30, 80), 1.5)
    assert (crop.cx, crop.cy, crop.size) == (20, 50, 90)


def test_multipose_input_is_multiple_of_32_with_longer_side_kept():
    assert input_shape(1000, 667, 256) == (256, 160)
    assert input_shape(480, 640, 256) == (192, 256)
    assert input_shape(20, 2000, 256) == (32, 256)


def test_upright_body_crop_centres_on_the_hips_and_stands_the_torso_up():
    from movemirror.pose.crops import upright_body_crop

    pose = np.zeros((17, 3), np.float32)  # unseen keypoints (score 0) do not count
    # A body lying on its side: shoulders to the right of the hips, feet to the left.
    for name, xy in {"left_shoulder": (300, 190), "right_shoulder": (300, 210),
                     "left_hip": (200, 190), "right_hip": (200, 210),
                     "left_ankle": (40, 190), "right_ankle": (40, 210)}.items():
        pose[KEYPOINT_INDEX[name]] = (*xy, 0.9)
    pose[:5] = (340, 200, 0.9)  # the head beyond the shoulders
    crop = upright_body_crop(pose, scale=1.25)
    assert (crop.cx, crop.cy) == pytest.approx((200, 200))
    assert crop.size == pytest.approx(2 * np.hypot(160, 10) * 1.25)  # the ankles are farthest
    # In the window, the shoulders are straight above the hips.
    inverse = np.linalg.inv(np.vstack([crop.matrix(), [0, 0, 1]]))
    window = lambda xy: (inverse @ [*xy, 1.0])[:2]  # noqa: E731
    shoulders, hips = window((300, 200)), window((200, 200))
    assert shoulders[0] == pytest.approx(hips[0], abs=1e-6)
    assert shoulders[1] < hips[1]
