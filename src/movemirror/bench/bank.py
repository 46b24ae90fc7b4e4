"""`movemirror bench bank`: what the bank on disk (format 2, Lance) costs at a million poses.

In one run, on a bank of real poses (Penn Action's 163,841, repeated with a small jitter to
the size asked, with their clip, frame time and track): writing the whole bank from scratch,
appending a batch to it (the ratio of the two is what append-only saves), loading it with its
vectors ready for search (and reading its records, which a loaded bank does on first use).
Then, on a second bank whose every pose has its own picture (LSPET photos made into JPEGs
of the size asked; each copy made distinct by its row number after the
JPEG's end, as real pictures all differ and so that no storage can share them), reading one
picture by row. The 1M bank has no pictures: a million distinct ones would not fit in this
machine's memory at once, and a real bank gets them by appends.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movemirror.bench.machine import machine_info


@dataclass(frozen=True)
class Plan:
    size: int = 1_000_000  # poses in the bank
    append: int = 10_000  # poses appended
    appends: int = 5  # appends timed after the first (the figure is their median)
    repeats: int = 3  # loads timed (each figure is the median)
    picture_bank: int = 50_000  # poses of the bank with pictures
    reads: int = 200  # pictures read by random row
    photos: int = 500  # LSPET photos made into thumbnails, cycled over the rows
    picture_side: int = 480  # longest side, px (ingestion: ingest.thumbnails.DISPLAY_SIZE)


QUICK = Plan(size=100_000, append=1_000, appends=3, repeats=2, picture_bank=5_000, reads=100,
             photos=50)


@dataclass
class Results:
    poses: int
    disk_bytes: int  # of the bank's folder after the write
    write_seconds: float  # the whole bank from scratch
    append_seconds: float  # median of `appends` appends of `append` poses (add + save),
    # after the first (which also reads and hashes the bank's ids: first_append_seconds)
    append_share: float  # append_seconds / write_seconds
    first_append_seconds: float  # the first after loading
    commit_seconds: float  # median: save() alone, the append to the dataset
    commit_share: float  # commit_seconds / write_seconds
    load_seconds: float  # median: PoseBank.load, vectors in memory, ready for search
    records_seconds: float  # median: then reading its records (ids, keypoints, metadata)
    picture_bank_bytes: int  # the folder of the bank with pictures
    picture_bytes_mean: float  # one picture's size
    picture_ms_median: float
    picture_ms_p95: float
    load_average: tuple[float, float]  # 1-minute, at the start and the end of the run


def run(plan: Plan, folder: Path | None = None,
        report: Callable[[str], None] = lambda line: None) -> Results:
    from movemirror.bank import PoseBank

    load_before = os.getloadavg()[0]
    keypoints, meta = _real_poses(plan.size + plan.append * (1 + plan.appends))
    ids = [f"pose-{i}" for i in range(len(keypoints))]
    report(f"{len(keypoints):,} real poses ready")
    work = Path(tempfile.mkdtemp(prefix="bench-bank-", dir=folder))
    try:
        path = work / "bank"
        whole = PoseBank.from_keypoints(keypoints[:plan.size], ids=ids[:plan.size],
                                        meta={k: v[:plan.size] for k, v in meta.items()})
        started = time.perf_counter()
        whole.save(path)
        write = time.perf_counter() - started
        del whole
        disk = _folder_bytes(path)
        report(f"wrote {plan.size:,} poses from scratch in {write:.2f} s ({disk / 1e6:,.0f} MB)")
        # Appends as ingestion or a long-lived writer makes them: to a loaded bank, one after
        # another (the first also reads the bank's ids, to leave out poses it has).
        bank = PoseBank.load(path)
        appends, saves = [], []
        for k in range(1 + plan.appends):
            rows = slice(plan.size + k * plan.append, plan.size + (k + 1) * plan.append)
            started = time.perf_counter()
            bank.add(keypoints[rows], ids=ids[rows], meta={key: v[rows] for key, v in meta.items()})
            added = time.perf_counter()
            bank.save()
            appends.append(time.perf_counter() - started)
            saves.append(time.perf_counter() - added)
            report(f"appended {plan.append:,} poses in {appends[-1]:.3f} s (the commit alone "
                   f"{saves[-1]:.3f} s)")
        del bank
        loads, records = [], []
        for _ in range(plan.repeats):
            started = time.perf_counter()
            bank = PoseBank.load(path)
            vectors = np.asarray(bank.vectors)
            loads.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert bank.records.num_rows == len(vectors) == len(keypoints)
            records.append(time.perf_counter() - started)
            report(f"loaded {len(bank):,} poses in {loads[-1]:.3f} s, their records in "
                   f"{records[-1]:.3f} s")
            del bank
        pictures = _distinct_pictures(_real_pictures(plan.photos, plan.picture_side),
                                      plan.picture_bank)
        with_pictures = work / "with-pictures"
        PoseBank.from_keypoints(keypoints[:plan.picture_bank], ids=ids[:plan.picture_bank],
                                meta={"image": pictures}).save(with_pictures)
        picture_disk = _folder_bytes(with_pictures)
        bank = PoseBank.load(with_pictures)
        bank.image(0)  # opens the dataset for pictures once, as a server does on its first
        times = []
        for row in np.random.default_rng(0).integers(0, plan.picture_bank, plan.reads):
            started = time.perf_counter()
            picture = bank.image(int(row))
            times.append((time.perf_counter() - started) * 1000)
            assert picture == pictures[int(row)]
        report(f"read {plan.reads} pictures by row from {plan.picture_bank:,} "
               f"({picture_disk / 1e6:,.0f} MB): median {statistics.median(times):.2f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    append = statistics.median(appends[1:])
    return Results(
        poses=plan.size, disk_bytes=disk, write_seconds=write, append_seconds=append,
        append_share=append / write, first_append_seconds=appends[0],
        commit_seconds=statistics.median(saves[1:]),
        commit_share=statistics.median(saves[1:]) / write,
        load_seconds=statistics.median(loads),
        records_seconds=statistics.median(records), picture_bank_bytes=picture_disk,
        picture_bytes_mean=float(np.mean([len(p) for p in pictures])),
        picture_ms_median=statistics.median(times),
        picture_ms_p95=float(np.percentile(times, 95)),
        load_average=(load_before, os.getloadavg()[0]))


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _distinct_pictures(photos: list[bytes], count: int) -> list[bytes]:
    """count pictures: the photos cycled, each copy ending with its number after the JPEG's
    end marker (which decoders ignore), so that no two are the same bytes."""
    return [photos[i % len(photos)] + i.to_bytes(8, "little") for i in range(count)]


def _real_poses(count: int) -> tuple[np.ndarray, dict[str, list]]:
    """count real poses: Penn Action's, repeated with a jitter of up to 1 px after the first
    pass; each with its clip as source, its frame time and its clip as track."""
    from movemirror.datasets.penn_action import load_penn_action
    from movemirror.vectors import pose_problems

    penn = load_penn_action()
    good = np.array([p is None for p in pose_problems(penn.keypoints)])
    poses, clips, frames = penn.keypoints[good], penn.clip[good], penn.frame[good]
    rows = np.arange(count) % len(poses)
    keypoints = poses[rows].copy()
    rng = np.random.default_rng(0)
    repeated = np.arange(count) >= len(poses)
    keypoints[repeated, :, :2] += rng.uniform(-1, 1, (int(repeated.sum()), 17, 2))
    copy = np.arange(count) // len(poses)
    meta = {
        "source": [f"penn-action/{clips[r]:04d}.mp4" for r in rows],
        "frame_time": list((frames[rows] / 30.0).astype(float)),
        "track": [f"{clips[r]}:{c}" for r, c in zip(rows, copy, strict=True)],
    }
    return keypoints, meta


def _real_pictures(count: int, side: int) -> list[bytes]:
    """count LSPET photos as ingestion's thumbnails (JPEG, longest side `side`)."""
    from PIL import Image

    from movemirror.datasets import dataset_dir
    from movemirror.datasets.lspet import load_lspet

    out = []
    for sample in load_lspet(dataset_dir("lspet"), limit=count):
        with Image.open(sample.path) as photo:
            image = photo.convert("RGB")
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85, optimize=True)
        out.append(buffer.getvalue())
    return out


def write_json(results: Results, plan: Plan, path: Path) -> None:
    payload = {
        "benchmark": "movemirror bench bank",
        "machine": machine_info(),
        "data": ("Penn Action's real poses repeated (with a jitter of up to 1 px) to the bank's "
                 "size; the bank with pictures: LSPET photos as ingestion's thumbnails, cycled, "
                 "each copy made distinct by its row number after the JPEG's end marker."),
        "plan": asdict(plan),
        "results": asdict(results),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
