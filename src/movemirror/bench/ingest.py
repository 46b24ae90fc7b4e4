"""Ingestion speed end to end: files in, a saved bank out, with one worker as the baseline.

Numbers include everything a user waits for: start-up of the workers and their model
sessions, decoding, pose estimation, thumbnails and the bank's atomic commits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from movemirror.ingest.run import run_index
from movemirror.ingest.work import Settings


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


def main(limit: int, model: str, workers: int, baseline: int, every_ms: int,
         out: Path | None, mode: str | None = None, videos: bool = True) -> dict:
    """`movemirror bench ingest`: LSPET photos with all workers and one, then the videos.

    limit=0 skips the photos; videos=False skips the videos. mode None: ingestion's default.
    """
    from rich.table import Table

    from movemirror.cli.console import console, fail
    from movemirror.datasets import DatasetMissingError, dataset_dir
    from movemirror.ingest.pool import default_workers

    try:
        images = sorted((dataset_dir("lspet") / "images").glob("*.jpg"))
    except DatasetMissingError as error:
        raise fail(str(error)) from None
    workers = workers or default_workers()
    settings = Settings(model=model) if mode is None else Settings(model=model, mode=mode)
    load = os.getloadavg()
    console.print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
                  f"on {os.cpu_count()} cores (other jobs on this machine slow every number)")
    results = {}
    runs = [("photos", images, limit, workers)] if limit > 0 else []
    if limit > 0 and baseline and workers > 1:
        runs.append(("photos (baseline)", images, min(baseline, limit), 1))
    for name, files, count, run_workers in runs:
        folder = photo_subset(files, count)
        try:
            console.print(f"{name}: {min(count, len(files)):,} LSPET photos, {model} "
                          f"({settings.mode}), {run_workers} worker(s)...")
            results[name] = time_run([folder], settings, run_workers)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    found = []
    for dataset, name in VIDEOS if videos else ():
        try:
            found.append(dataset_dir(dataset) / name)
        except DatasetMissingError:
            pass
    found = [v for v in found if v.is_file()]
    if found:
        console.print(f"videos: {', '.join(v.name for v in found)} every {every_ms} ms...")
        video_settings = Settings(**{**settings.__dict__, "every_ms": every_ms})
        results["videos"] = time_run(found, video_settings, workers)
    table = Table("run", "workers", "files", "frames", "entries", "seconds", "frames/s",
                  "load avg (1 min)",
                  title=f"ingestion end to end ({model}, {settings.mode} mode); other jobs share "
                        "this machine's cores, so numbers are noisy", title_justify="left")
    for name, r in results.items():
        table.add_row(name, str(r["workers"]), f"{r['files']:,}", f"{r['frames']:,}",
                      f"{r['entries']:,}", f"{r['seconds']:.1f}", f"{r['frames_per_second']:.1f}",
                      f"{r['load_average'][0]:.2f}")
    console.print(table)
    if out is not None:
        import json

        out.mkdir(parents=True, exist_ok=True)
        (out / "ingest.json").write_text(json.dumps(results, indent=2))
    return results
