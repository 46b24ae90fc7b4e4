"""Drawing poses on images (for `movemirror pose --draw`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageDraw

from movemirror.keypoints import KEYPOINT_NAMES, SKELETON_EDGES

_LEFT, _RIGHT, _CENTRE = (255, 140, 0), (0, 190, 255), (240, 240, 240)


def _colour(i: int) -> tuple[int, int, int]:
    name = KEYPOINT_NAMES[i]
    return _LEFT if name.startswith("left") else _RIGHT if name.startswith("right") else _CENTRE


def draw_poses(
    image: Image.Image,
    poses: Iterable[np.ndarray],
    min_score: float = 0.2,
    boxes: Iterable[tuple[float, float, float, float]] | None = None,
) -> Image.Image:
    """A copy of `image` with each pose's skeleton (left side orange, right side blue)."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    width = max(2, round(max(out.size) / 250))
    for box in boxes or ():
        draw.rectangle(box, outline=(255, 255, 0), width=max(1, width // 2))
    for keypoints in poses:
        kp = np.asarray(keypoints)
        for a, b in SKELETON_EDGES:
            if kp[a, 2] >= min_score and kp[b, 2] >= min_score:
                colour = _colour(a) if _colour(a) == _colour(b) else _CENTRE
                draw.line([tuple(kp[a, :2]), tuple(kp[b, :2])], fill=colour, width=width)
        for i, (x, y, score) in enumerate(kp):
            if score >= min_score:
                r = width * 1.5
                draw.ellipse([x - r, y - r, x + r, y + r], fill=_colour(i), outline=(0, 0, 0))
    return out
