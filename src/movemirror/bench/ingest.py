"""Ingestion speed end to end: files in, a saved bank out, with one worker as the baseline.

Numbers include everything a user waits for: start-up of the workers (or of Ray) and their
model sessions, decoding, pose estimation, thumbnails and the bank's atomic commits. The same
photos run on each engine asked for, and the sample videos both following people (the
default) and finding them on every frame, with the keypoints compared (PCK), in one run.
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

from movemirror.bank import PoseBank
from movemirror.bench.follow_accuracy import frame_poses, pck_against, pck_of_frames, truth_frames
from movemirror.bench.process_cpu import TreeCpu
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError
from movemirror.ingest.engines import make_engine
from movemirror.ingest.engines.local import default_workers
from movemirror.ingest.run import SilentReporter, run_index
from movemirror.ingest.work import ARCHIVE_MODE, Settings
from movemirror.pose import DEFAULT_MODEL


class Arrivals(SilentReporter):
    """When each unit's result reached the run, with its frames; the CPU used by then is
    noted at the first."""

    def __init__(self, cpu: TreeCpu | None = None):
        self.times: list[float] = []
        self.frames: list[int] = []
        self.cpu = cpu

    def unit_done(self, result, summary) -> None:
        self.times.append(time.perf_counter())
        self.frames.append(result.frames)
        if self.cpu and len(self.times) == 1:
            self.cpu.mark()

    def second_half_fps(self) -> float:
        """Frames per second over the second half of the results: neither start-up nor
        how late an engine hands over its first results (Ray, a block of units at a time,
        after a trip through its object store) weighs on it."""
        half = len(self.times) // 2
        if half < 1 or self.times[-1] <= self.times[half - 1]:
            return 0.0
        return sum(self.frames[half:]) / (self.times[-1] - self.times[half - 1])


def time_run(sources, settings: Settings, workers: int, engine: str = "local",
             address: str | None = None) -> tuple[dict, PoseBank]:
    """Index the sources into a scratch bank; return counts, seconds and frames per second,
    and the bank."""
    scratch = Path(tempfile.mkdtemp(prefix="movemirror-bench-"))
    try:
        runner = make_engine(engine, workers=workers, address=address, device="cpu")
        with TreeCpu() as cpu:
            arrivals = Arrivals(cpu)
            started = time.perf_counter()
            summary = run_index(sources, scratch / "bank", settings, engine=runner,
                                reporter=arrivals)
            # A Ray started by the run stops after it returns, while the CLI reports; `index`
            # waits for it before it exits, so its stop counts in the seconds end to end.
            stop_seconds = _wait_stopped(engine)
            seconds = time.perf_counter() - started
        bank = PoseBank.load(scratch / "bank", verify=False)
        _ = bank.records  # a loaded bank reads them on first use: before the folder goes
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "engine": engine,
        "detect_every": settings.detect_every,
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
        # Once the first result is in: what start-up (Ray's, the pool's) does not weigh on.
        "first_result_seconds": round(summary.first_result_seconds, 2),
        "steady_frames_per_second": round(summary.steady_fps, 2),
        "second_half_frames_per_second": round(arrivals.second_half_fps(), 2),
        # CPU seconds of this process and all it started (workers, Ray's daemons and actors;
        # not a cluster elsewhere): what an engine costs, whatever else the cores are doing.
        **cpu_figures(cpu, summary.frames, summary.frames_after_first),
        "stop_seconds": round(stop_seconds, 2),  # within seconds: the engine stopping after
        "load_average": [round(v, 2) for v in os.getloadavg()],  # at the end of the run
    }, bank


def _wait_stopped(engine: str) -> float:
    if engine != "ray":
        return 0.0
    from movemirror.ingest.engines.ray import wait_stopped

    return wait_stopped()


def cpu_figures(cpu: TreeCpu, frames: int, frames_after_first: int) -> dict:
    """CPU per frame in all, and after the first result (start-up left out; an engine that
    hands over results a block at a time has the rest of its first block's frames counted
    after it, which flatters it by up to a block)."""
    after_first = cpu.seconds_since_mark
    return {
        "cpu_seconds": round(cpu.seconds, 2),
        "cpu_seconds_to_first_result": round(cpu.seconds - after_first, 2),
        "cpu_ms_per_frame": round(1000 * cpu.seconds / frames, 1) if frames else None,
        "cpu_ms_per_frame_after_first": round(1000 * after_first / frames_after_first, 1)
        if frames_after_first else None,
        "cpu_seconds_by_process": cpu.by_role(),
    }


def photo_subset(images: list[Path], limit: int | None) -> Path:
    """A scratch folder of symlinks to the first `limit` photos (cleaned up by the caller)."""
    folder = Path(tempfile.mkdtemp(prefix="movemirror-photos-"))
    for image in images[:limit]:
        (folder / image.name).symlink_to(image.resolve())
    return folder


# How often the followed run finds people again (`index --detect-every 8`).
FOLLOW_DETECT_EVERY = 8
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
    engines: tuple[str, ...] = ("local",)  # the photos run on each (the first is the reference)
    address: str | None = None  # --engine ray's cluster (None: Ray starts on this machine)

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
    results: dict[str, dict] = {}
    runs = []
    if plan.limit > 0:
        runs = [(_photos_run(engine, plan.engines), plan.limit, plan.workers, engine)
                for engine in plan.engines]
        if plan.baseline and plan.workers > 1:
            runs.append(("photos (baseline)", min(plan.baseline, plan.limit), 1, "local"))
    for name, count, workers, engine in runs:
        folder = photo_subset(images, count)
        try:
            report(f"{name}: {min(count, len(images)):,} LSPET photos, {plan.model} "
                   f"({plan.mode}), {engine} engine, {workers} worker(s)...")
            results[name], _ = time_run([folder], settings, workers, engine, plan.address)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if len(plan.engines) > 1 and plan.limit > 0:
        first = results[_photos_run(plan.engines[0], plan.engines)]["frames_per_second"]
        for engine in plan.engines[1:]:
            run_result = results[_photos_run(engine, plan.engines)]
            run_result[f"photos_per_second_vs_{plan.engines[0]}"] = round(
                run_result["frames_per_second"] / first, 3) if first else None
            steady = results[_photos_run(plan.engines[0], plan.engines)][
                "steady_frames_per_second"]
            run_result[f"steady_photos_per_second_vs_{plan.engines[0]}"] = round(
                run_result["steady_frames_per_second"] / steady, 3) if steady else None
            late = results[_photos_run(plan.engines[0], plan.engines)][
                "second_half_frames_per_second"]
            run_result[f"second_half_photos_per_second_vs_{plan.engines[0]}"] = round(
                run_result["second_half_frames_per_second"] / late, 3) if late else None
            for key in ("cpu_ms_per_frame", "cpu_ms_per_frame_after_first"):
                theirs = results[_photos_run(plan.engines[0], plan.engines)][key]
                run_result[f"{key}_vs_{plan.engines[0]}"] = round(
                    run_result[key] / theirs, 3) if theirs and run_result[key] else None
    videos = sample_videos() if plan.videos else []
    if videos:
        results.update(_video_runs(videos, plan, report))
    return results


def _photos_run(engine: str, engines: tuple[str, ...]) -> str:
    return "photos" if len(engines) == 1 else f"photos ({engine})"


def _video_runs(videos: list[Path], plan: Plan, report: Report) -> dict[str, dict]:
    """The videos followed (people found on one sampled frame in FOLLOW_DETECT_EVERY unless
    the plan asks for more) and with people found on every frame (the default); duplicates
    are kept in both so that the same frames are compared."""
    every_frame = replace(plan.settings, every_ms=plan.every_ms, dedup=0.0, detect_every=1)
    settings = replace(every_frame, detect_every=max(plan.settings.detect_every,
                                                     FOLLOW_DETECT_EVERY))
    names = ", ".join(v.name for v in videos)
    report(f"videos (people found on every frame): {names} every {plan.every_ms} ms...")
    reference, reference_bank = time_run(videos, every_frame, plan.workers)
    report(f"videos (followed, found every {settings.detect_every} frames): {names}...")
    followed, followed_bank = time_run(videos, settings, plan.workers)
    followed["frames_per_second_vs_every_frame"] = round(
        followed["frames_per_second"] / reference["frames_per_second"], 3) \
        if reference["frames_per_second"] else None
    followed["keypoints_vs_every_frame"] = pck_against(reference_bank, followed_bank)
    # Against the tfjs clip's own keypoints, on the frames either run sampled: whether
    # following moves the keypoints away from the truth, not only from the every-frame poses.
    poses = {"every frame": frame_poses(reference_bank), "followed": frame_poses(followed_bank)}
    truth = truth_frames(poses["every frame"].keys() | poses["followed"].keys())
    for result, name in ((reference, "every frame"), (followed, "followed")):
        result["keypoints_vs_truth"] = pck_of_frames(truth, poses[name]) if truth else None
    return {"videos (every frame)": reference, "videos (followed)": followed}


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

    out = Table("run", "engine", "workers", "files", "frames", "entries", "seconds", "frames/s",
                "vs first", "first result (s)", "frames/s after it",
                "CPU ms/frame (after first result)", "load avg (1 min)",
                title=f"ingestion end to end ({plan.model}, {plan.mode} mode); other jobs share "
                      "this machine's cores, so numbers are noisy", title_justify="left")
    for name, r in results.items():
        ratio = r.get("frames_per_second_vs_every_frame") or next(
            (v for k, v in r.items() if k.startswith("photos_per_second_vs_")), None)
        out.add_row(name, r["engine"], str(r["workers"]), f"{r['files']:,}", f"{r['frames']:,}",
                    f"{r['entries']:,}", f"{r['seconds']:.1f}", f"{r['frames_per_second']:.1f}",
                    f"{ratio:.2f}x" if ratio else "", f"{r['first_result_seconds']:.1f}",
                    f"{r['steady_frames_per_second']:.1f}", _cpu_cell(r),
                    f"{r['load_average'][0]:.2f}")
    return out


def _cpu_cell(r: dict) -> str:
    if r.get("cpu_ms_per_frame") is None:
        return ""
    after = r.get("cpu_ms_per_frame_after_first")
    return f"{r['cpu_ms_per_frame']:.0f}" + (f" ({after:.0f})" if after is not None else "")


def follow_line(results: dict[str, dict]) -> str | None:
    """What following people cost in keypoints, in words (None without the video runs)."""
    followed = results.get("videos (followed)")
    if not followed:
        return None
    pck = followed["keypoints_vs_every_frame"]
    return (f"videos followed: {followed['frames_per_second_vs_every_frame']}x the frames/s of "
            f"finding people on every frame; PCK@{pck['alpha']} against those poses "
            f"{pck['pck']} over {pck['keypoints']:,} keypoints ({pck['unmatched_poses']} of "
            f"{pck['reference_poses']} poses unmatched, counted as wrong); by video: "
            + "; ".join(f"{name} {v['pck']} ({v['unmatched_poses']} of {v['reference_poses']} "
                        "unmatched)" for name, v in pck.get("videos", {}).items())
            + _truth_words(results))


def _truth_words(results: dict[str, dict]) -> str:
    every = results.get("videos (every frame)", {}).get("keypoints_vs_truth")
    followed = results["videos (followed)"].get("keypoints_vs_truth")
    if not every or not followed:
        return ""
    return (f"; against pose_1.json's keypoints (PCK@{followed['alpha']}, "
            f"{followed['keypoints']:,} keypoints): followed {followed['pck']}, every frame "
            f"{every['pck']}")


def write_json(results: dict[str, dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
