"""Crop calculators: where the model looks, and how its outputs map back to the image.

A `CropTransform` is a square window on the image, optionally rotated and mirrored. The model
sees that window resized to its input; keypoints come back normalised to the window (0..1)
and `to_image` maps them to image pixels. All maths here is pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from movemirror.keypoints import KEYPOINT_INDEX, MIRROR_PERMUTATION

# Keypoints below this score do not shape a crop.
CROP_KEYPOINT_SCORE = 0.2
_TORSO = tuple(
    KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
)


@dataclass(frozen=True)
class CropTransform:
    """A square window of side `size` pixels centred on (cx, cy), turned by `angle` degrees
    (counter-clockwise as seen by the model) and mirrored left-right when `flip`."""

    cx: float
    cy: float
    size: float
    angle: float = 0.0
    flip: bool = False

    def matrix(self) -> np.ndarray:
        """2x3 affine map from window coordinates (u, v in 0..1) to image pixels."""
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        linear = np.array([[cos, -sin], [sin, cos]]) * self.size
        if self.flip:
            linear = linear @ np.diag([-1.0, 1.0])
        offset = np.array([self.cx, self.cy]) - linear @ np.array([0.5, 0.5])
        return np.hstack([linear, offset[:, None]])

    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounds of the window in image pixels."""
        corners = self.to_image_xy(np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float64))
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def to_image_xy(self, uv: np.ndarray) -> np.ndarray:
        m = self.matrix()
        return uv @ m[:, :2].T + m[:, 2]

    def to_image(self, keypoints_yxs: np.ndarray) -> np.ndarray:
        """Model output (17, 3) as y, x, score in window units -> (17, 3) x, y, score in pixels.

        A mirrored window swaps left and right, so the keypoints are permuted back.
        """
        uv = keypoints_yxs[:, [1, 0]].astype(np.float64)
        out = np.empty((len(keypoints_yxs), 3), dtype=np.float32)
        out[:, :2] = self.to_image_xy(uv)
        out[:, 2] = keypoints_yxs[:, 2]
        if self.flip:
            out = out[list(MIRROR_PERMUTATION)]
        return out


def full_frame(width: int, height: int) -> CropTransform:
    """The whole image, letterboxed into a square (padding on the short side)."""
    return CropTransform(width / 2.0, height / 2.0, float(max(width, height)))


def crop_pixels(image: Image.Image, crop: CropTransform, out_size: int) -> np.ndarray:
    """The window resized to out_size x out_size (bilinear; outside the image is black)."""
    m = crop.matrix()
    # PIL's AFFINE maps output pixel coordinates to input coordinates.
    scale = 1.0 / out_size
    data = (
        m[0, 0] * scale, m[0, 1] * scale, m[0, 2],
        m[1, 0] * scale, m[1, 1] * scale, m[1, 2],
    )
    source = image
    # Shrinking by more than 2x without a low-pass aliases badly; pre-reduce first.
    shrink = crop.size / out_size
    if shrink >= 4.0:
        factor = int(shrink // 2)
        source = image.reduce(factor)
        data = tuple(v / factor for v in data)
    out = source.transform(
        (out_size, out_size), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR,
        fillcolor=(0, 0, 0),
    )
    return np.asarray(out)


def keypoint_box(
    keypoints: np.ndarray, min_score: float
) -> tuple[float, float, float, float] | None:
    """Bounds (x0, y0, x1, y1) of keypoints scoring at least min_score, None if none do."""
    good = keypoints[:, 2] >= min_score
    if not good.any():
        return None
    xy = keypoints[good, :2]
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def movenet_crop(
    keypoints: np.ndarray,
    width: int,
    height: int,
    min_score: float = CROP_KEYPOINT_SCORE,
    torso_ratio: float = 1.9,
    body_ratio: float = 1.2,
) -> CropTransform:
    """MoveNet's own next-frame crop (tfjs-models `determineCropRegion`), in pixels.

    Centred on the hips, large enough for 1.9x the torso's and 1.2x the body's extent from
    that centre. Falls back to the full frame when the torso is not seen.
    """
    scores = keypoints[:, 2]
    ls, rs, lh, rh = _TORSO
    torso_seen = (scores[lh] > min_score or scores[rh] > min_score) and (
        scores[ls] > min_score or scores[rs] > min_score
    )
    if not torso_seen:
        return full_frame(width, height)
    center = (keypoints[lh, :2] + keypoints[rh, :2]) / 2.0
    torso = np.abs(keypoints[list(_TORSO), :2] - center).max(axis=0)
    good = scores > min_score
    body = np.abs(keypoints[good, :2] - center).max(axis=0)
    half = max(torso.max() * torso_ratio, body.max() * body_ratio)
    half = min(half, max(center[0], width - center[0], center[1], height - center[1]))
    if half > max(width, height) / 2.0:
        return full_frame(width, height)
    return CropTransform(float(center[0]), float(center[1]), float(2.0 * half))


def box_crop(
    box: tuple[float, float, float, float], expand: float, min_size: float = 16.0
) -> CropTransform:
    """A square window around a box, its longer side times `expand`."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, min_size) * expand
    return CropTransform((x0 + x1) / 2.0, (y0 + y1) / 2.0, float(side))


def angle_up(dx: float, dy: float) -> float:
    """The window angle (CropTransform.angle) at which image direction (dx, dy) points up."""
    return math.degrees(math.atan2(dx, -dy))


def upright_body_crop(
    keypoints: np.ndarray, min_score: float = CROP_KEYPOINT_SCORE, scale: float = 1.25
) -> CropTransform:
    """A window centred on the hips and turned so the torso stands upright in it (BlazePose's
    region of interest). Its half side is `scale` x the farthest confident keypoint from the
    hips, and at least 1.2 x the torso's length."""
    hips = (keypoints[_TORSO[2], :2] + keypoints[_TORSO[3], :2]) / 2.0
    shoulders = (keypoints[_TORSO[0], :2] + keypoints[_TORSO[1], :2]) / 2.0
    torso = shoulders - hips
    good = keypoints[:, 2] >= min_score
    if good.sum() < 3:
        good[:] = True
    reach = float(np.linalg.norm(keypoints[good, :2] - hips, axis=1).max())
    reach = max(reach, 1.2 * float(np.linalg.norm(torso)), 8.0)
    angle = angle_up(float(torso[0]), float(torso[1]))
    return CropTransform(float(hips[0]), float(hips[1]), 2.0 * reach * scale, angle)
