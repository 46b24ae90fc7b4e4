"""The local engine: units of work on all cores of this machine, one process per core, each
with its own model sessions. Needs nothing but the standard library.

Each worker makes its estimator once, on its first unit, with one inference thread: two
processes with one thread each keep two cores busier than one process with two threads,
because decoding, resizing and JPEG encoding run in between inferences.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator

from movemirror.ingest.work import MULTIPOSE_SIDE, Settings, Unit, UnitResult, process_unit
from movemirror.pose.session import Device, choose_device
from movemirror.wording import counted

_estimator = None
_estimator_key: tuple[str, str, str] | None = None


def make_estimator(model: str, mode: str, threads: int = 1, device: str = "cpu"):
    from movemirror.pose import PoseEstimator

    return PoseEstimator(model=model, mode=mode, threads=threads, multipose_side=MULTIPOSE_SIDE,
                         device=device)


def estimator_for(model: str, mode: str, device: str = "cpu"):
    """This process's estimator, made on first use and kept (one session pair a process)."""
    global _estimator, _estimator_key
    if _estimator is None or _estimator_key != (model, mode, device):
        _estimator, _estimator_key = make_estimator(model, mode, device=device), (model, mode,
                                                                                  device)
    return _estimator


def _run(task: tuple[Unit, Settings, str]) -> UnitResult:
    unit, settings, device = task
    return process_unit(unit, settings, estimator_for(settings.model, settings.mode, device))


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to the run (the terminal sends it to every process): the run
    stops the pool; a worker interrupted on its own would print its traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def run_units(units: Iterable[Unit], settings: Settings, workers: int,
              device: str = "cpu") -> Iterator[UnitResult]:
    """Results of the units in the order they finish. workers=1 runs in this process."""
    tasks = ((unit, settings, device) for unit in units)
    if workers <= 1:
        yield from map(_run, tasks)
        return
    # spawn, not fork: a forked ONNX Runtime or PyAV can inherit locks held by other threads.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_ignore_interrupts) as pool:
        yield from pool.imap_unordered(_run, tasks, chunksize=1)


class LocalEngine:
    """`--engine local`, the default: a process pool on this machine."""

    name = "local"

    def __init__(self, workers: int = 0, device: str = "auto"):
        self.workers = workers or default_workers()
        self.device: Device = choose_device(device)

    def describe(self) -> str:
        return (f"local, {counted(self.workers, 'worker process', 'worker processes')}, "
                f"device {self.device.describe()}")

    def run(self, units: list[Unit], settings: Settings) -> Iterator[UnitResult]:
        return run_units(units, settings, self.workers, self.device.name)
