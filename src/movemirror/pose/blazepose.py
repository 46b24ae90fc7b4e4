"""BlazePose GHUM (Full, Heavy): 33 landmarks on an upright crop of one person.

BlazePose needs to be told where the body is and which way is up: it reads a square window
centred on the hips and turned so the torso stands upright. Its output includes two extra
landmarks (the hip centre and a point a body-radius away along the torso) that give the
window for the next pass, as MediaPipe does across video frames. Here the first window comes
from a MoveNet pose, and a second pass uses the window BlazePose itself proposes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from PIL import Image

from movemirror.pose.crops import CropTransform, angle_up, crop_pixels, upright_body_crop
from movemirror.pose.heatmap import refine_with_heatmap

INPUT_SIZE = 256
# BlazePose landmark of each COCO keypoint (movemirror.keypoints.KEYPOINT_NAMES order).
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
# The auxiliary landmarks that define the next window: hip centre, and body scale and turn.
HIP_CENTRE, BODY_SCALE = 33, 34
# The next window's half side, in multiples of |BODY_SCALE - HIP_CENTRE| (MediaPipe: 1.25).
WINDOW_SCALE = 1.25
PASSES = 2


@dataclass(frozen=True)
class BlazePoseResult:
    keypoints: np.ndarray  # (17, 3) x, y in image pixels, visibility 0..1, COCO order
    next_crop: CropTransform  # the window BlazePose proposes for another pass


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def landmarks_to_coco(landmarks: np.ndarray, crop: CropTransform) -> np.ndarray:
    """(39, 5) raw landmarks (x, y in crop pixels, z, visibility and presence logits) ->
    (17, 3) COCO keypoints: x, y in image pixels, visibility 0..1."""
    chosen = landmarks[list(BLAZEPOSE_TO_COCO)]
    yxs = np.empty((len(chosen), 3), dtype=np.float64)
    yxs[:, 0] = chosen[:, 1] / INPUT_SIZE
    yxs[:, 1] = chosen[:, 0] / INPUT_SIZE
    yxs[:, 2] = _sigmoid(chosen[:, 3])
    return crop.to_image(yxs)


def tracking_crop(landmarks: np.ndarray, crop: CropTransform) -> CropTransform:
    """The window for the next pass, from the auxiliary landmarks (in `crop`'s pixels)."""
    centre, scale = crop.to_image_xy(landmarks[[HIP_CENTRE, BODY_SCALE], :2] / INPUT_SIZE)
    direction = scale - centre
    radius = float(np.linalg.norm(direction))
    return CropTransform(
        float(centre[0]), float(centre[1]), 2.0 * radius * WINDOW_SCALE,
        angle_up(float(direction[0]), float(direction[1])),
    )


class BlazePose:
    """Runs a BlazePose ONNX session on upright windows of an image."""

    def __init__(self, session: ort.InferenceSession):
        self.session = session
        self._input = session.get_inputs()[0].name
        # The output order differs between Full and Heavy: look them up by name.
        self._outputs = [o.name for o in session.get_outputs()]

    def infer_pixels(self, pixels: np.ndarray) -> tuple[np.ndarray, float]:
        """(256, 256, 3) uint8 -> ((39, 5) landmarks refined by the heatmap, presence)."""
        feed = pixels[None].astype(np.float32) / 255.0
        out = dict(zip(self._outputs, self.session.run(None, {self._input: feed}), strict=True))
        landmarks = out["ld_3d"][0].reshape(-1, 5).astype(np.float64)
        # The TF.js graph already applies the sigmoid to the heatmap.
        heatmap = out["activation_heatmap"][0]
        landmarks[:, :2] = refine_with_heatmap(landmarks[:, :2] / INPUT_SIZE, heatmap) * INPUT_SIZE
        return landmarks, float(out["output_poseflag"].reshape(-1)[0])

    def infer(self, image: Image.Image, crop: CropTransform) -> BlazePoseResult:
        landmarks, _presence = self.infer_pixels(crop_pixels(image, crop, INPUT_SIZE))
        return BlazePoseResult(landmarks_to_coco(landmarks, crop), tracking_crop(landmarks, crop))

    def track(self, image: Image.Image, seed: np.ndarray, passes: int = PASSES) -> BlazePoseResult:
        """Start from a window around `seed` (a (17, 3) pose in image pixels, e.g. MoveNet's)
        and let BlazePose re-centre its own window for the remaining passes."""
        result = self.infer(image, upright_body_crop(seed))
        for _ in range(passes - 1):
            result = self.infer(image, result.next_crop)
        return result
