"""The page's frame rate in headless Chromium: pose estimation plus matching, camera to screen.

A fake webcam plays a real clip (tfjs-models' pose_1.mp4, written as .y4m with PyAV);
Debian's Chromium runs the page without a GPU. Also used by the browser tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
WEBCAM_SIDE = 320
WEBCAM_FRAMES = 90


def make_fake_webcam(video: Path, out: Path, side: int = WEBCAM_SIDE,
                     frames: int = WEBCAM_FRAMES) -> Path:
    """The first `frames` frames of `video`, scaled to side x side, as a .y4m for Chromium."""
    import av

    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
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


# An init script that makes the page see a returning visitor, so it skips the first visit's
# start screen and asks for the camera at once (the benchmarks and most browser tests).
RETURNING_VISITOR = "try { localStorage.setItem('movemirror.started', '1'); } catch (e) {}"


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


def measure_page(url: str, webcam: Path, seconds: float = 10.0, model: str | None = None,
                 timeout_s: float = 120.0) -> dict:
    """Open the page with the fake webcam and report its loop's rates after warming up."""
    from playwright.sync_api import sync_playwright

    query = f"?model={model}" if model else ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=chromium_args(webcam))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(RETURNING_VISITOR)
            started = time.perf_counter()
            page.goto(url + query)
            page.wait_for_function("() => window.movemirror && window.movemirror.replies > 5",
                                   timeout=timeout_s * 1000)
            ready_s = time.perf_counter() - started
            frames0, replies0 = page.evaluate(
                "() => [window.movemirror.frames, window.movemirror.replies]")
            page.wait_for_timeout(seconds * 1000)
            state = page.evaluate("""() => ({frames: window.movemirror.frames,
                replies: window.movemirror.replies, estimateMs: window.movemirror.estimateMs,
                backend: window.movemirror.backend, model: window.movemirror.model,
                timings: window.movemirror.timings})""")
        finally:
            browser.close()
    return {
        "model": state["model"], "backend": state["backend"],
        "backend_trial_ms_per_pose": state["timings"],
        "seconds_to_first_matches": round(ready_s, 2),
        "frames_per_second": (state["frames"] - frames0) / seconds,
        "matches_per_second": (state["replies"] - replies0) / seconds,
        "last_pose_ms": state["estimateMs"],
    }


DEFAULT_MODELS = ("lightning",)  # named as movemirror.pose.MODELS (and the page)


@dataclass(frozen=True)
class Plan:
    bank_dir: Path | None = None  # None: a bank of LSPET's 6,000 annotated poses
    seconds: float = 10.0  # measured seconds per model
    models: tuple[str, ...] = DEFAULT_MODELS


def run(plan: Plan, report: Callable[[str], None]) -> list[dict]:
    """The page's rates for each model, served by `movemirror serve` on loopback.
    Raises FileNotFoundError without Chromium, DatasetMissingError without the clip."""
    import tempfile

    from movemirror.bench.serve import ServerProcess, lspet_bank
    from movemirror.datasets import cache_dir, dataset_dir

    if not CHROMIUM.exists():
        raise FileNotFoundError("Debian's chromium is missing: run make setup-browser")
    clip = dataset_dir("tfjs-pose-detection-testdata") / "pose_1.mp4"
    webcam = make_fake_webcam(clip, cache_dir() / "bench" / f"pose_1-{WEBCAM_SIDE}.y4m")
    results = []
    with tempfile.TemporaryDirectory(prefix="movemirror-bench-page-") as scratch:
        bank_dir = plan.bank_dir
        if bank_dir is None:
            report("No --bank: building one from LSPET's 6,000 annotated poses.")
            bank_dir = lspet_bank(Path(scratch) / "bank")
        with ServerProcess(bank_dir) as server:
            for model in plan.models:
                result = measure_page(f"http://127.0.0.1:{server.port}/", webcam, plan.seconds,
                                      model)
                report(f"{model}: {result['frames_per_second']:.1f} frames/s")
                results.append(result)
    return results


def table(results: list[dict]):
    from rich.table import Table

    out = Table(title=f"The page in headless Chromium, no GPU ({WEBCAM_SIDE} px fake webcam "
                      "at 30 fps)")
    for column in ("model", "backend", "frames/s", "matches/s", "ms/pose", "first match s"):
        out.add_column(column, justify="right")
    for r in results:
        out.add_row(r["model"], r["backend"], f"{r['frames_per_second']:.1f}",
                    f"{r['matches_per_second']:.1f}", f"{r['last_pose_ms']:.0f}",
                    f"{r['seconds_to_first_matches']:.1f}")
    return out


def write_json(results: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
