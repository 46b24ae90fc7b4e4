"""One indexing run: plan the work, run it on all cores, commit results atomically, report.

Never lose work: every few seconds, the new entries (their pictures included) are appended
to the bank, then the ledger rows of the units that produced them (movemirror.ingest.commit),
whichever engine ran them (movemirror.ingest.engines). A run killed at any moment leaves the
last committed version; running the same command again redoes only the units missing from
the ledger, and an entry already in the bank (its id is made from its content) is not added
twice.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from movemirror.bank.index_lock import LOCK, exclusive
from movemirror.errors import BankError, DecodeError, IngestError, NothingToIndexError
from movemirror.files import file_sha256
from movemirror.ingest.attribution import Attribution
from movemirror.ingest.commit import BankWriter
from movemirror.ingest.discover import MediaFile, Skip, discover
from movemirror.ingest.engines import Engine
from movemirror.ingest.frames import probe_video, sample_times
from movemirror.ingest.work import SEGMENT_SECONDS, Settings, Unit, UnitResult

COMMIT_EVERY_SECONDS = 10.0  # a run saves its progress at least this often


@dataclass
class Summary:
    files: int = 0  # media files found
    files_done: int = 0  # files completed in this run
    files_indexed: int = 0  # ... of which gave at least one entry
    already: int = 0  # files already complete in the bank
    files_planned: int = 0  # files this run works on (a second file of the same content: not)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    entries: int = 0  # entries added
    frames: int = 0  # frames (photos or sampled video frames) run through the model
    duplicates: int = 0  # near-duplicate video poses dropped
    rejected: Counter = field(default_factory=Counter)  # poses refused by the filters
    units_total: int = 0
    frames_planned: int = 0
    frames_progress: int = 0  # planned frames of the units done (what the progress bar shows)
    seconds: float = 0.0
    work_seconds: float = 0.0  # from the first unit sent to the last result received
    # From the first unit sent to the first result: the engine's start-up (processes, Ray,
    # model sessions) and one unit's work; with frames_after_first, the steady rate.
    first_result_seconds: float = 0.0
    frames_after_first: int = 0
    bank_entries: int = 0
    engine: str = ""  # where the work ran (the engine's own description)

    @property
    def fps(self) -> float:
        return self.frames / self.work_seconds if self.work_seconds > 0 else 0.0

    @property
    def steady_fps(self) -> float:
        """Frames per second once the first result is in (start-up left out)."""
        steady = self.work_seconds - self.first_result_seconds
        return self.frames_after_first / steady if steady > 0 else 0.0


class Reporter(Protocol):
    """What a run tells its caller as it goes (the CLI draws a progress bar from it)."""

    def scanning(self, files: int) -> None: ...
    def planned(self, summary: Summary) -> None: ...
    def unit_done(self, result: UnitResult, summary: Summary) -> None: ...
    def committed(self, bank_entries: int) -> None: ...


class SilentReporter:
    """Tells nothing: the reporter of a run nobody watches."""

    def scanning(self, files: int) -> None:
        pass

    def planned(self, summary: Summary) -> None:
        pass

    def unit_done(self, result: UnitResult, summary: Summary) -> None:
        pass

    def committed(self, bank_entries: int) -> None:
        pass


def run_index(sources, bank_dir, settings: Settings | None = None, *, workers: int = 1,
              rebuild: bool = False, attribution: Attribution | None = None,
              commit_every: float = COMMIT_EVERY_SECONDS,
              reporter: Reporter | None = None, engine: Engine | None = None) -> Summary:
    """Index the sources into the bank. engine: where the work runs (None: the local engine
    with `workers` processes on the CPU)."""
    settings = settings or Settings()
    reporter = reporter or SilentReporter()
    if engine is None:
        from movemirror.ingest.engines.local import LocalEngine

        engine = LocalEngine(workers, device="cpu")
    if "://" in str(bank_dir):  # a URI (s3://...): Lance's commits are atomic there
        return _Run(sources, str(bank_dir), settings, engine, rebuild,
                    attribution or Attribution(), commit_every, reporter).run()
    bank_dir = Path(bank_dir)
    created = not bank_dir.exists()
    if bank_dir.exists() and not bank_dir.is_dir():
        raise IngestError(f"{bank_dir}: a file, not a bank's folder (nothing was indexed)")
    try:
        bank_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # no permission, or a file above it
        raise IngestError(f"{bank_dir}: cannot make the bank's folder: "
                          f"{error.strerror or error} (nothing was indexed)") from None
    try:
        with exclusive(bank_dir):
            return _Run(sources, bank_dir, settings, engine, rebuild,
                        attribution or Attribution(), commit_every, reporter).run()
    except NothingToIndexError:
        if created:  # leave no empty folder behind: it holds only the lock file
            (bank_dir / LOCK).unlink(missing_ok=True)
            bank_dir.rmdir()
        raise


class _Run:
    def __init__(self, sources, bank_dir: str | Path, settings: Settings, engine: Engine,
                 rebuild: bool, attribution: Attribution, commit_every: float,
                 reporter: Reporter):
        self.sources = list(sources)
        self.bank_dir = bank_dir
        self.settings = settings
        self.engine = engine
        self.commit_every = commit_every
        self.reporter = reporter
        self.summary = Summary()
        self.started = time.perf_counter()
        self.writer = BankWriter(bank_dir, rebuild, settings.model, attribution)
        self.ledger = self.writer.ledger
        self.taken: set[tuple[str, float]] = set()  # units whose result was taken
        self.files: dict[str, MediaFile] = {}
        self.units_left: dict[str, int] = {}
        self.file_results: dict[str, list[UnitResult]] = defaultdict(list)
        self.planned: dict[tuple[str, float], int] = {}

    def run(self) -> Summary:
        units = self._plan()
        if not self.summary.files:  # before anything is written: no empty bank is made
            raise NothingToIndexError([str(source) for source in self.sources],
                                      self.summary.skipped)
        self.reporter.planned(self.summary)
        last_commit = time.perf_counter()
        commit_cost = 0.0
        work_started = time.perf_counter()
        results = _Results(self.engine.run(units, self.settings))
        try:
            while True:
                # Space commits out if they grow slow (each one is an append, a new version).
                due = last_commit + max(self.commit_every, 4 * commit_cost)
                # Wake up when a commit is due even if no result comes (a long video still at
                # work): what is staged is saved then, not when the slow unit ends.
                result = results.next(max(0.0, due - time.perf_counter()) if self.writer.staged
                                      else None)
                if result is _FINISHED:
                    break
                now = time.perf_counter()
                if isinstance(result, UnitResult):
                    if not self.summary.first_result_seconds:
                        self.summary.first_result_seconds = now - work_started
                    else:
                        self.summary.frames_after_first += result.frames
                    self._take(result)
                if self.writer.staged and now >= due:
                    started = time.perf_counter()
                    self._commit()
                    last_commit = time.perf_counter()
                    commit_cost = last_commit - started
        finally:  # a run that stops early (an error) stops the engine too
            results.close()
        self.summary.work_seconds = time.perf_counter() - work_started if units else 0.0
        self.summary.engine = self.engine.describe()
        if self.writer.dirty:
            self._commit()
        self.summary.bank_entries = len(self.writer)
        self.summary.seconds = time.perf_counter() - self.started
        return self.summary

    # --- planning ------------------------------------------------------------------------

    def _plan(self) -> list[Unit]:
        units: list[Unit] = []
        seen: dict[str, str] = {}
        local_bank = [self.bank_dir] if isinstance(self.bank_dir, Path) else []
        for found in discover(self.sources, exclude=local_bank):
            if isinstance(found, Skip):
                self.summary.skipped.append((str(found.path.absolute()), found.reason))
                continue
            self.summary.files += 1
            if self.summary.files % 500 == 0:
                self.reporter.scanning(self.summary.files)
            path = str(found.path.absolute())
            digest = self.ledger.known_hash(path, found.size, found.mtime_ns)
            if digest is None:
                try:
                    digest = file_sha256(found.path)
                except OSError as error:
                    self.summary.skipped.append((path, f"cannot read file: {error.strerror}"))
                    continue
            if digest in seen:
                self.summary.skipped.append((path, f"same content as {seen[digest]}"))
                continue
            seen[digest] = path
            if self.ledger.is_complete(digest):
                self.summary.already += 1
                continue
            self.files[digest] = found
            file_units = self._units(path, digest, found.kind)
            self.units_left[digest] = len(file_units)
            units.extend(file_units)
        self.summary.units_total = len(units)
        self.summary.files_planned = len(self.files)
        return units

    def _units(self, path: str, digest: str, kind: str) -> list[Unit]:
        if kind == "photo":
            self._count(Unit(path, digest, kind), 1)
            return [Unit(path, digest, kind)]
        try:
            duration = probe_video(path).duration
        except DecodeError:
            duration = None  # the worker will fail on it too, and record why
        if not duration:
            self._count(Unit(path, digest, kind), 1)
            return [Unit(path, digest, kind)]
        count = max(1, math.ceil(duration / SEGMENT_SECONDS - 1e-9))
        units = []
        for k in range(count):
            end = None if k == count - 1 else (k + 1) * SEGMENT_SECONDS
            unit = Unit(path, digest, kind, k * SEGMENT_SECONDS, end, count)
            if not self.ledger.has_unit(digest, unit.start):
                units.append(unit)
                self._count(unit, len(
                    sample_times(duration, self.settings.every_ms, unit.start, unit.end)))
        return units

    def _count(self, unit: Unit, frames: int) -> None:
        self.planned[unit.hash, unit.start] = frames
        self.summary.frames_planned += frames

    # --- results -------------------------------------------------------------------------

    def _take(self, result: UnitResult) -> None:
        unit, found = result.unit, self.files[result.unit.hash]
        if (unit.hash, unit.start) in self.taken:
            return  # an engine that ran a unit twice: its first result counts
        self.taken.add((unit.hash, unit.start))
        fresh = self.writer.fresh(result.entries)
        # A unit redone after a crash between its entries' commit and its ledger row's
        # finds its entries already in the bank: it is indexed all the same.
        indexed = bool(fresh) or bool(result.entries)
        status = "indexed" if indexed else ("skipped" if result.error else "empty")
        reason = result.error or (None if indexed else _no_pose_reason(result))
        row = None if result.retry else {
            "hash": unit.hash, "path": unit.path, "kind": unit.kind, "start": unit.start,
            "end": unit.end, "segments": unit.segments, "status": status, "reason": reason,
            "entries": len(fresh), "frames": result.frames, "duplicates": result.duplicates,
            "rejected": sum(result.rejected.values()), "size": found.size,
            "mtime_ns": found.mtime_ns, "seconds": round(result.seconds, 4),
        }
        self.writer.stage(unit, fresh, row)
        s = self.summary
        s.entries += len(fresh)
        s.frames += result.frames
        s.duplicates += result.duplicates
        s.rejected.update(result.rejected)
        s.frames_progress += self.planned.pop((unit.hash, unit.start), 0)
        self.file_results[unit.hash].append(result)
        self.units_left[unit.hash] -= 1
        if self.units_left[unit.hash] == 0:
            self._file_done(unit.hash)
        self.reporter.unit_done(result, s)

    def _file_done(self, digest: str) -> None:
        results = self.file_results.pop(digest)
        self.summary.files_done += 1
        path = results[0].unit.path
        if any(r.entries for r in results):
            self.summary.files_indexed += 1
        else:
            errors = [r.error for r in results if r.error]
            merged = sum((r.rejected for r in results), Counter())
            reason = errors[0] if errors else _no_pose_reason_counts(merged)
            self.summary.skipped.append((path, reason))

    def _commit(self) -> None:
        try:
            self.reporter.committed(self.writer.commit())
        except BankError as error:  # a full disk, a folder made read-only while running
            raise IngestError(f"{error} (what earlier commits saved is kept: the same command "
                              "goes on from there once the bank can be written)") from error


_FINISHED = object()  # the engine has no more results


class _Results:
    """The engine's results, pulled on a thread of their own so that the run can wait for the
    next one with a time limit (an engine's iterator may block for as long as a unit takes).
    An error raised by the engine is raised again in the caller's thread."""

    def __init__(self, results: Iterator[UnitResult]):
        self.queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._pull, args=(results,), name="engine results",
                         daemon=True).start()

    def _pull(self, results: Iterator[UnitResult]) -> None:
        try:
            for result in results:
                if self._stop.is_set():
                    break
                self.queue.put(result)
        except BaseException as error:  # noqa: BLE001 - handed to the run's thread as is
            self.queue.put(error)
        finally:  # closed here, in the thread that runs it (an engine's pool ends with it)
            close = getattr(results, "close", None)
            if close is not None:
                close()
        self.queue.put(_FINISHED)

    def close(self) -> None:
        """Stop pulling: the engine is closed once its result in progress comes."""
        self._stop.set()

    def next(self, timeout: float | None) -> object:
        """The next result, _FINISHED, or None when `timeout` seconds passed without one."""
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item


def _no_pose_reason(result: UnitResult) -> str:
    return _no_pose_reason_counts(result.rejected, result.duplicates)


def _no_pose_reason_counts(rejected: Counter, duplicates: int = 0) -> str:
    if not rejected:
        return "no frames" if not duplicates else "only duplicate poses"
    reason, _ = rejected.most_common(1)[0]
    return f"no usable pose ({reason})"
