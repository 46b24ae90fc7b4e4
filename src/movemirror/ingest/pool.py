"""Running units of work on all cores: one process per core, each with its own model session.

Each worker makes its estimator once, on its first unit, with one inference thread: two
processes with one thread each keep two cores busier than one process with two threads,
because decoding, resizing and JPEG encoding run in between inferences.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator

from movemirror.ingest.work import MULTIPOSE_SIDE, Settings, Unit, UnitResult, process_unit

_estimator = None
_estimator_key: tuple[str, str] | None = None


def make_estimator(model: str, mode: str, threads: int = 1):
    from movemirror.pose import PoseEstimator

    return PoseEstimator(model=model, mode=mode, threads=threads, multipose_side=MULTIPOSE_SIDE)


def _estimator_for(model: str, mode: str):
    global _estimator, _estimator_key
    if _estimator is None or _estimator_key != (model, mode):
        _estimator, _estimator_key = make_estimator(model, mode), (model, mode)
    return _estimator


def _run(task: tuple[Unit, Settings]) -> UnitResult:
    unit, settings = task
    return process_unit(unit, settings, _estimator_for(settings.model, settings.mode))


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def run_units(units: Iterable[Unit], settings: Settings, workers: int) -> Iterator[UnitResult]:
    """Results of the units in the order they finish. workers=1 runs in this process."""
    tasks = ((unit, settings) for unit in units)
    if workers <= 1:
        yield from map(_run, tasks)
        return
    # spawn, not fork: a forked ONNX Runtime or PyAV can inherit locks held by other threads.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(_run, tasks, chunksize=1)
