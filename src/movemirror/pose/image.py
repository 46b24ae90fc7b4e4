"""Loading images for pose estimation: paths, PIL images or RGB arrays, huge ones downscaled.

Every loader returns a `LoadedImage`: an RGB PIL image no larger than `max_side` and the
factor that maps its pixel coordinates back to the input's (input = loaded * scale).
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from movemirror.errors import ImageError, InvalidTypeError

# The models see at most 256 px crops; 2048 px keeps a person who fills a tenth of the frame
# at full model resolution while bounding decode time and memory.
MAX_SIDE = 2048
# Refuse before decoding anything larger than this (a decompression bomb, not a photo).
MAX_PIXELS = 400_000_000
# PIL's own bomb limits (a warning above 89 MP, an error above 179 MP) would refuse real scans
# of 180-400 MP; open_image's check against MAX_PIXELS stands in for them, without changing
# PIL's limit for the rest of the process (Image.MAX_IMAGE_PIXELS is a module global).
_PIL_LIMIT_LOCK = threading.Lock()

ImageInput = str | os.PathLike | Image.Image | np.ndarray


@dataclass(frozen=True)
class LoadedImage:
    image: Image.Image  # RGB
    scale: float  # input pixels per loaded pixel (>= 1)


def load_image(image: ImageInput, max_side: int = MAX_SIDE) -> LoadedImage:
    if isinstance(image, np.ndarray):
        return _from_array(image, max_side)
    if isinstance(image, Image.Image):
        return _downscale(_to_rgb(image, "<PIL image>"), 1.0, max_side)
    if isinstance(image, (str, os.PathLike)):
        return _from_path(Path(image), max_side)
    hint = (": give PIL.Image.open(io.BytesIO(data)) for an encoded image in memory"
            if isinstance(image, (bytes, bytearray, memoryview)) or hasattr(image, "read")
            else "")
    raise InvalidTypeError("expected an image path, a PIL image or an RGB array, got "
                           f"{type(image).__name__}{hint}")


def _from_path(path: Path, max_side: int) -> LoadedImage:
    name = str(path)
    if not path.exists():
        raise ImageError(f"{name}: no such file")
    if not path.is_file():
        raise ImageError(f"{name}: not a file")
    try:
        with open_image(path) as img:
            full_w, full_h = img.size
            orientation = img.getexif().get(0x0112, 1)
            # JPEG can decode straight to 1/2, 1/4 or 1/8 size: huge photos never reach memory.
            if img.format == "JPEG" and max(full_w, full_h) > max_side:
                img.draft("RGB", _fit(full_w, full_h, max_side))
            img.load()
            oriented = img if orientation == 1 else ImageOps.exif_transpose(img)
            rgb = _to_rgb(oriented, name)
    except ImageError:
        raise
    except Image.DecompressionBombError:  # more than twice MAX_PIXELS, refused by PIL's open
        raise ImageError(f"{name}: image too large (over {2 * MAX_PIXELS:,} pixels)") from None
    except UnidentifiedImageError as error:
        raise ImageError(f"{name}: not a readable image ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"{name}: damaged or truncated image ({error})") from error
    # The draft may have shrunk the image: scale maps back to the file's own pixels, with its
    # EXIF orientation applied (as a viewer shows it; orientations 5-8 swap width and height).
    oriented_w = full_h if orientation in (5, 6, 7, 8) else full_w
    return _downscale(rgb, oriented_w / rgb.width, max_side)


def open_image(path: str | os.PathLike) -> Image.Image:
    """PIL's lazy open of the file at path (nothing decoded yet), held to MAX_PIXELS rather
    than to PIL's limit: ImageError naming the size above it. PIL's errors pass through."""
    with warnings.catch_warnings():
        # Past PIL's warning size PIL warns; MAX_PIXELS decides here.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img: Image.Image
        try:
            img = Image.open(path)
        except Image.DecompressionBombError:  # past PIL's limit (179 MP unless changed)
            img = _open_past_pil_limit(path)
    width, height = img.size
    if width * height > MAX_PIXELS:  # before anything (EXIF included) is decoded
        img.close()
        raise ImageError(f"{path}: image too large ({width} x {height} pixels)")
    return img


def _open_past_pil_limit(path: str | os.PathLike) -> Image.Image:
    """Image.open with PIL's limit at MAX_PIXELS for the header's read only (under a lock, put
    back after unless changed meanwhile). Other threads' PIL reads see it for that moment: the
    one way through PIL's open, which reads the global; only images past PIL's limit come."""
    with _PIL_LIMIT_LOCK:
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            return Image.open(path)  # past 2 x MAX_PIXELS, PIL's DecompressionBombError
        finally:
            if Image.MAX_IMAGE_PIXELS == MAX_PIXELS:
                Image.MAX_IMAGE_PIXELS = previous


def _from_array(array: np.ndarray, max_side: int) -> LoadedImage:
    if array.ndim != 3 or array.shape[2] != 3:
        raise ImageError(f"<array>: expected an RGB array of shape (H, W, 3), got {array.shape}")
    if array.dtype != np.uint8:
        raise ImageError(f"<array>: expected dtype uint8, got {array.dtype}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ImageError(f"<array>: empty image of shape {array.shape}")
    return _downscale(Image.fromarray(np.ascontiguousarray(array)), 1.0, max_side)


def _to_rgb(image: Image.Image, name: str) -> Image.Image:
    if image.width < 1 or image.height < 1:
        raise ImageError(f"{name}: empty image")
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become black, as the browser's canvas would feed them.
        background = Image.new("RGB", image.size)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        scaled = np.asarray(image, dtype=np.float32)
        top = max(float(scaled.max()), 1.0)
        return Image.fromarray((scaled * (255.0 / top)).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    ratio = max_side / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _downscale(image: Image.Image, scale: float, max_side: int) -> LoadedImage:
    if max(image.size) > max_side:
        size = _fit(image.width, image.height, max_side)
        scale *= image.width / size[0]
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return LoadedImage(image=image, scale=scale)
