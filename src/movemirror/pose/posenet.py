"""PoseNet MobileNetV1 (the original Move Mirror's model): single-pose decoding.

Outputs at stride 16: keypoint heatmaps (logits) and offsets (17 y, then 17 x, in input pixels).
Each keypoint is the heatmap's best cell plus its offset.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from PIL import Image

from movemirror.pose.crops import CropTransform, crop_pixels

OUTPUT_STRIDE = 16


class PoseNet:
    def __init__(self, session: ort.InferenceSession, input_size: int = 385):
        self.session = session
        self.input_size = input_size
        self._input = session.get_inputs()[0].name
        names = [o.name for o in session.get_outputs()]
        self._heatmap = next(n for n in names if "heatmap" in n)
        self._offset = next(n for n in names if "offset" in n)

    def infer(self, image: Image.Image, crop: CropTransform) -> np.ndarray:
        """Keypoints (17, 3): x, y in pixels of `image`, score."""
        pixels = crop_pixels(image, crop, self.input_size).astype(np.float32)
        feed = pixels[None] / 127.5 - 1.0
        heatmap, offsets = self.session.run(
            [self._heatmap, self._offset], {self._input: feed}
        )
        return crop.to_image(decode_single(heatmap[0], offsets[0], self.input_size))


def decode_single(heatmap: np.ndarray, offsets: np.ndarray, input_size: int) -> np.ndarray:
    """(H, W, 17) logits and (H, W, 34) offsets -> (17, 3) y, x in 0..1 of the input, score."""
    h, w, k = heatmap.shape
    flat = heatmap.reshape(-1, k).argmax(axis=0)
    rows, cols = np.divmod(flat, w)
    idx = np.arange(k)
    scores = 1.0 / (1.0 + np.exp(-heatmap[rows, cols, idx]))
    y = rows * OUTPUT_STRIDE + offsets[rows, cols, idx]
    x = cols * OUTPUT_STRIDE + offsets[rows, cols, idx + k]
    return np.stack([y / (input_size - 1), x / (input_size - 1), scores], axis=1).astype(
        np.float32
    )
