"""MoveNet MultiPose Lightning: up to 6 people, each with keypoints, a box and a score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from PIL import Image

MAX_PEOPLE = 6


@dataclass(frozen=True)
class MultiPoseResult:
    keypoints: np.ndarray  # (17, 3) x, y in image pixels, score
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float


def input_shape(width: int, height: int, max_side: int) -> tuple[int, int]:
    """TF.js's MultiPose input: the longer side at max_side, both sides multiples of 32."""
    ratio = max_side / max(width, height)
    w = max(32, int(round(width * ratio / 32)) * 32)
    h = max(32, int(round(height * ratio / 32)) * 32)
    return w, h


class MultiPose:
    def __init__(self, session: ort.InferenceSession, max_side: int = 256):
        self.session = session
        self.max_side = max_side
        self._input = session.get_inputs()[0].name

    def infer(self, image: Image.Image) -> list[MultiPoseResult]:
        """Every person the model reports (up to 6), best first; filter by score yourself."""
        w, h = input_shape(image.width, image.height, self.max_side)
        pixels = np.asarray(image.resize((w, h), Image.Resampling.BILINEAR))
        raw = self.session.run(None, {self._input: pixels[None].astype(np.int32)})[0][0]
        return sorted(decode(raw, image.width, image.height), key=lambda r: -r.score)


def decode(raw: np.ndarray, width: int, height: int) -> list[MultiPoseResult]:
    """(6, 56) model output -> people in image pixels.

    Each row: 17 x (y, x, score) normalised to the input, then ymin, xmin, ymax, xmax, score.
    The input is the whole image resized (not padded), so normalised maps straight to pixels.
    """
    out = []
    for row in raw:
        kp = row[:51].reshape(17, 3)
        keypoints = np.empty((17, 3), dtype=np.float32)
        keypoints[:, 0] = kp[:, 1] * width
        keypoints[:, 1] = kp[:, 0] * height
        keypoints[:, 2] = kp[:, 2]
        ymin, xmin, ymax, xmax, score = row[51:56]
        box = (float(xmin * width), float(ymin * height), float(xmax * width), float(ymax * height))
        out.append(MultiPoseResult(keypoints=keypoints, box=box, score=float(score)))
    return out
