"""MoveNet SinglePose (Lightning, Thunder): one inference on one crop."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from PIL import Image

from movemirror.pose.crops import CropTransform, crop_pixels


class MoveNet:
    """Runs a MoveNet single-pose ONNX session on square crops of an image."""

    def __init__(self, session: ort.InferenceSession, input_size: int):
        self.session = session
        self.input_size = input_size
        self._input = session.get_inputs()[0].name

    def infer_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """(size, size, 3) uint8 -> (17, 3) y, x, score in 0..1 of the crop."""
        feed = pixels[None].astype(np.int32)
        return self.session.run(None, {self._input: feed})[0][0, 0]

    def infer(self, image: Image.Image, crop: CropTransform) -> np.ndarray:
        """Keypoints (17, 3): x, y in pixels of `image`, score."""
        return crop.to_image(self.infer_pixels(crop_pixels(image, crop, self.input_size)))
