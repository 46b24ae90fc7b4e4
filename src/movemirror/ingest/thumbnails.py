"""The picture the app shows for an entry: a JPEG at display size (the frame region around the
person, or the whole frame), large enough to be shown big and sharp beside the camera."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

DISPLAY_SIZE = 1024  # longest side, in pixels: sharp at up to 2x on a large screen
MARGIN = 0.2  # space kept around the person, as a fraction of the box's longer side
ASPECT = 3 / 4  # width / height of a person crop: portrait, like a standing person


def crop_box(box, frame_size, margin: float = MARGIN, aspect: float = ASPECT) -> tuple[
        int, int, int, int]:
    """A crop (x0, y0, x1, y1) framing the person's box with a margin, at the given aspect
    where the frame allows, kept inside the frame."""
    width, height = frame_size
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    h = min(max(side, (x1 - x0) * (1 + 2 * margin) / aspect), height)
    w = min(max(h * aspect, (x1 - x0) * (1 + 2 * margin)), width)
    left = min(max(cx - w / 2, 0.0), width - w)
    top = min(max(cy - h / 2, 0.0), height - h)
    return (int(round(left)), int(round(top)), int(round(left + w)), int(round(top + h)))


def thumbnail(frame: np.ndarray, crop: tuple[int, int, int, int] | None = None,
              size: int = DISPLAY_SIZE, quality: int = 85) -> bytes:
    """JPEG bytes of the frame (or its crop), shrunk so its longer side is at most size."""
    image = Image.fromarray(frame)
    if crop is not None:
        image = image.crop(crop)
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
