"""Decoding: photos as pose estimation loads them, videos with PyAV on a fixed time grid.

A video's sample times are k * every_ms from the start, so any stretch of the video (a
segment given to one worker) samples exactly the frames a whole-file pass would.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import UnidentifiedImageError

from movemirror.errors import DecodeError, ImageError
from movemirror.pose.image import load_image

# A photo larger than this is reduced on load: enough for pose estimation and thumbnails.
MAX_PHOTO_SIDE = 2048


@dataclass(frozen=True)
class VideoInfo:
    duration: float | None  # seconds; None when the container does not say
    fps: float | None
    width: int
    height: int


def read_photo(path: str | Path) -> tuple[np.ndarray, float]:
    """(RGB uint8 array (H, W, 3), scale): the photo as pose estimation loads it (upright by
    its EXIF orientation, at most MAX_PHOTO_SIDE; see movemirror.pose.image.load_image), scale
    being array pixels per source pixel. Raises DecodeError with a reason free of the path."""
    try:
        loaded = load_image(path, MAX_PHOTO_SIDE)
    except ImageError as error:
        raise DecodeError(f"cannot decode image: {_image_reason(error, path)}") from error
    return np.asarray(loaded.image), 1.0 / loaded.scale


def _image_reason(error: ImageError, path: str | Path) -> str:
    cause = error.__cause__
    if isinstance(cause, UnidentifiedImageError):
        return "unknown or damaged format"
    if cause is not None:
        return _message(cause, path)
    return str(error).removeprefix(f"{path}: ")


def probe_video(path: str | Path) -> VideoInfo:
    """Duration, frame rate and size of a video's first video stream."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = _video_stream(container)
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            rate = stream.average_rate or stream.guessed_rate
            return VideoInfo(duration, float(rate) if rate else None,
                             stream.codec_context.width, stream.codec_context.height)
    except (av.FFmpegError, OSError, ValueError) as error:
        raise DecodeError(f"cannot open video: {_message(error, path)}") from error


def sample_times(duration: float, every_ms: int, start: float = 0.0,
                 end: float | None = None) -> list[float]:
    """The grid times k * every_ms that fall in [start, min(end, duration))."""
    step = every_ms / 1000
    stop = duration if end is None else min(end, duration)
    first = math.ceil(round(start / step, 9))
    return [k * step for k in range(first, math.ceil(round(stop / step, 9)))]


def video_frames(path: str | Path, every_ms: int, start: float = 0.0, end: float | None = None,
                 max_side: int | None = None) -> Iterator[tuple[float, float, np.ndarray]]:
    """(time in seconds, scale, RGB frame) on the sampling grid, from start up to (not incl.) end.

    Times count from the video's first frame. Each grid time takes the first frame shown at
    or after it. Frames larger than max_side are shrunk while converting (cheaper than
    converting at full size); scale is frame pixels per source pixel. Raises DecodeError if
    the video cannot be opened or breaks off; frames already yielded stay valid.
    """
    import av

    step = every_ms / 1000
    next_k = math.ceil(round(start / step, 9))
    try:
        with av.open(str(path)) as container:
            stream = _video_stream(container)
            stream.thread_type = "AUTO"
            origin = _start_time(stream)
            if start > 0 and stream.time_base is not None:
                target = int((start + origin) / stream.time_base)
                container.seek(target, stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.pts is None or frame.time is None:
                    continue
                t = float(frame.time) - origin
                if end is not None and t >= end:
                    return
                if t + 1e-6 < next_k * step:
                    continue
                # A frame that covers several grid times is sampled once, at its own time.
                next_k = math.floor(round(t / step, 9)) + 1
                width, height = frame.width, frame.height
                if max_side and max(width, height) > max_side:
                    shrink = max_side / max(width, height)
                    frame = frame.reformat(width=max(2, round(width * shrink) // 2 * 2),
                                           height=max(2, round(height * shrink) // 2 * 2),
                                           format="rgb24")
                yield t, frame.width / width, frame.to_ndarray(format="rgb24")
    except (av.FFmpegError, OSError, ValueError) as error:
        raise DecodeError(f"cannot decode video: {_message(error, path)}") from error


def _start_time(stream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _video_stream(container):
    if not container.streams.video:
        raise ValueError("no video stream")
    return container.streams.video[0]


def _message(error: BaseException, path: str | Path | None = None) -> str:
    """The error's first line, without the file's path (reasons are grouped across files)."""
    text = str(error).strip() or type(error).__name__
    if path is not None:
        text = text.replace(f"'{path}'", "").replace(str(path), "").replace(" : ", ": ")
    text = re.sub(r"^\[Errno -?\d+\] ", "", text).rstrip(": ")
    return text.splitlines()[0][:200]
