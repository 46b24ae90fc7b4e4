"""`movemirror bench coverage`: the coverage command, end to end (load, map, holes, crowds,
report), on Penn Action's real poses and on banks enlarged to a million with transformed,
half-mirrored copies (as bench search makes them), against held-out clips' poses.

Each size runs `movemirror coverage` in its own process, timed, with its peak resident
memory; the real-size bank is the baseline of the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movemirror.bank import PoseBank
from movemirror.bench.machine import machine_info
from movemirror.bench.search_data import similarity_transform
from movemirror.datasets.penn_action import load_penn_action
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import pose_problems

REFERENCE_POSES = 3000


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (0, 1_000_000)  # 0: the real training poses as they are
    reference: int = REFERENCE_POSES
    map_method: str | None = None  # None: UMAP where installed


@dataclass(frozen=True)
class Result:
    size: int
    synthetic: bool
    seconds: float
    cpu_seconds: float  # user + system of the command: what a loaded machine does not inflate
    peak_rss_mb: float
    holes: int
    ok: bool


def enlarged_poses(real: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """size poses: the real ones, then similarity-transformed copies, half mirrored."""
    if size <= len(real):
        return real[:size] if size else real
    rng = np.random.default_rng(seed)
    source = real[rng.integers(0, len(real), size - len(real))]
    mirrored = rng.random(len(source)) < 0.5
    source[mirrored] = mirror_keypoints(source[mirrored])
    return np.concatenate([real, similarity_transform(source, rng)])


def run(plan: Plan, workdir: Path | None = None, report=print) -> list[Result]:
    penn = load_penn_action()
    ok = np.array([p is None for p in pose_problems(penn.keypoints)])
    train = penn.keypoints[ok & penn.train]
    test = penn.keypoints[ok & ~penn.train]
    reference = test[np.random.default_rng(0).choice(len(test), plan.reference, replace=False)]
    results = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp)
        PoseBank.from_keypoints(reference).save(root / "reference")
        for size in plan.sizes:
            poses = enlarged_poses(train, size)
            bank_dir = root / f"bank-{len(poses)}"
            PoseBank.from_keypoints(poses).save(bank_dir)
            del poses
            result = _time_command(bank_dir, root / "reference", root / f"report-{size}.html",
                                   plan.map_method)
            result = Result(size or len(train), bool(size > len(train)), *result)
            report(f"{result.size:>9,} poses{'*' if result.synthetic else ' '}: "
                   f"{result.seconds:7.1f} s ({result.cpu_seconds:.1f} s of CPU), peak "
                   f"{result.peak_rss_mb:,.0f} MB, "
                   f"{result.holes} holes{'' if result.ok else ' FAILED'}")
            results.append(result)
            _remove(bank_dir)
    return results


def _time_command(bank_dir: Path, reference: Path, out: Path, method: str | None):
    command = [sys.executable, "-m", "movemirror.cli.main", "coverage", "--bank", str(bank_dir),
               "--against", str(reference), "--out", str(out)]
    if method:
        command += ["--map", method]
    # Peak RSS of the child, read from a wrapper so earlier children do not count.
    wrapper = ("import resource, subprocess, sys, json; "
               "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "use = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(json.dumps({'rc': done.returncode, 'peak_kb': use.ru_maxrss, "
               "'cpu': use.ru_utime + use.ru_stime, "
               "'out': done.stdout[-4000:], 'err': done.stderr[-4000:]}))")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    info = json.loads(done.stdout)
    holes = next((int(line.split()[1]) for line in info["out"].splitlines()
                  if line.startswith("holes:")), -1)
    return seconds, info["cpu"], info["peak_kb"] / 1024, holes, info["rc"] == 0


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def write_json(results: list[Result], plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine_info(), "plan": asdict(plan),
                                "results": [asdict(r) for r in results]}, indent=2))
