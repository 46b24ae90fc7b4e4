"""Ingestion speed end to end: files in, a saved bank out, with one worker as the baseline.

Numbers include everything a user waits for: start-up of the workers and their model
sessions, decoding, pose estimation, thumbnails and the bank's atomic commits.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError
from movemirror.ingest.pool import default_workers
from movemirror.ingest.run import run_index
from movemirror.ingest.work import ARCHIVE_MODE, Settings
from movemirror.pose import DEFAULT_MODEL


def time_run(sources, settings: Settings, workers: int) -> dict:
    """Index the sources into a scratch bank; return counts, seconds and frames per second."""
    scratch = Path(tempfile.mkdtemp(prefix="movemirror-bench-"))
    try:
        started = time.perf_counter()
        summary = run_index(sources, scratch / "bank", settings, workers=workers)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "workers": workers,
        "model": settings.model,
        "mode": settings.mode,
        "files": summary.files,
        "frames": summary.frames,
        "entries": summary.entries,
        "duplicates": summary.duplicates,
        "rejected": sum(summary.rejected.values()),
        "seconds": round(seconds, 2),
        "frames_per_second": round(summary.frames / seconds, 1) if seconds else 0.0,
        "load_average": [round(v, 2) for v in os.getloadavg()],  # at the end of the run
    }


def photo_subset(images: list[Path], limit: int | None) -> Path:
    """A scratch folder of symlinks to the first `limit` photos (cleaned up by the caller)."""
    folder = Path(tempfile.mkdtemp(prefix="movemirror-photos-"))
    for image in images[:limit]:
        (folder / image.name).symlink_to(image.resolve())
    return folder


VIDEOS = (("tfjs-pose-detection-testdata", "pose_1.mp4"), ("openpose-media", "video.avi"),
          ("mmpose-testdata", "demo/resources/demo.mp4"))


@dataclass(frozen=True)
class Plan:
    """LSPET photos with all workers and with one (the baseline), then the sample videos."""

    limit: int = 6000  # LSPET photos (0: none)
    model: str = DEFAULT_MODEL
    mode: str = ARCHIVE_MODE
    workers: int = field(default_factory=default_workers)
    baseline: int = 300  # photos for the one-worker baseline (0: none)
    every_ms: int = 33  # video sampling for the video run
    videos: bool = True

    @property
    def settings(self) -> Settings:
        return Settings(model=self.model, mode=self.mode)


Report = Callable[[str], None]


def run(plan: Plan, report: Report) -> dict[str, dict]:
    """Time each run of the plan; results by run name. Raises DatasetMissingError without
    LSPET."""
    images = sorted((dataset_dir("lspet") / "images").glob("*.jpg"))
    load = os.getloadavg()
    report(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
           f"on {os.cpu_count()} cores (other jobs on this machine slow every number)")
    settings = plan.settings
    results = {}
    runs = [("photos", plan.limit, plan.workers)] if plan.limit > 0 else []
    if plan.limit > 0 and plan.baseline and plan.workers > 1:
        runs.append(("photos (baseline)", min(plan.baseline, plan.limit), 1))
    for name, count, workers in runs:
        folder = photo_subset(images, count)
        try:
            report(f"{name}: {min(count, len(images)):,} LSPET photos, {plan.model} "
                   f"({plan.mode}), {workers} worker(s)...")
            results[name] = time_run([folder], settings, workers)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    videos = sample_videos() if plan.videos else []
    if videos:
        report(f"videos: {', '.join(v.name for v in videos)} every {plan.every_ms} ms...")
        results["videos"] = time_run(videos, replace(settings, every_ms=plan.every_ms),
                                     plan.workers)
    return results


def sample_videos() -> list[Path]:
    """The sample videos of VIDEOS that are present."""
    found = []
    for folder, name in VIDEOS:
        try:
            found.append(dataset_dir(folder) / name)
        except DatasetMissingError:
            pass
    return [video for video in found if video.is_file()]


def table(results: dict[str, dict], plan: Plan):
    from rich.table import Table

    out = Table("run", "workers", "files", "frames", "entries", "seconds", "frames/s",
                "load avg (1 min)",
                title=f"ingestion end to end ({plan.model}, {plan.mode} mode); other jobs share "
                      "this machine's cores, so numbers are noisy", title_justify="left")
    for name, r in results.items():
        out.add_row(name, str(r["workers"]), f"{r['files']:,}", f"{r['frames']:,}",
                    f"{r['entries']:,}", f"{r['seconds']:.1f}", f"{r['frames_per_second']:.1f}",
                    f"{r['load_average'][0]:.2f}")
    return out


def write_json(results: dict[str, dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
