"""Helpers for the browser tests: a fake webcam file and a headless Debian Chromium."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def make_fake_webcam(video: Path, out: Path, side: int = 320, frames: int = 90) -> Path:
    """The first `frames` frames of `video`, scaled to side x side, as a .y4m for Chromium."""
    import av

    if out.exists() and out.stat().st_size > 0:
        return out
    partial = out.with_suffix(".partial")
    with av.open(str(video)) as source, av.open(str(partial), "w", format="yuv4mpegpipe") as sink:
        stream = sink.add_stream("rawvideo", rate=Fraction(30))
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(source.decode(video=0)):
            if i >= frames:
                break
            small = frame.reformat(width=side, height=side, format="yuv420p")
            small.pts = None
            for packet in stream.encode(small):
                sink.mux(packet)
        for packet in stream.encode():
            sink.mux(packet)
    partial.rename(out)
    return out


def chromium_args(webcam: Path | None) -> list[str]:
    args = [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if webcam is not None:
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={webcam}"]
    return args


def chromium_available() -> bool:
    return CHROMIUM.exists() or shutil.which("chromium") is not None
