"""One indexing run: plan the work, run it on all cores, commit results atomically, report.

Never lose work: every few seconds, the new entries (their pictures included) are appended
to the bank, then the ledger rows of the units that produced them. A run killed at any
moment leaves the last committed version; running the same command again redoes only the
units missing from the ledger, and an entry already in the bank (its id is made from its
content) is not added twice.
"""

from __future__ import annotations

import fcntl
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from movemirror.bank import PoseBank, storage
from movemirror.bank.schema import IMAGE, IMAGE_TYPE, METADATA_SCHEMA
from movemirror.bank.storage import thumbnail_path
from movemirror.errors import BankError, DecodeError, IngestError
from movemirror.files import file_sha256
from movemirror.ingest import ledger as ledger_table
from movemirror.ingest.attribution import Attribution
from movemirror.ingest.discover import MediaFile, Skip, discover
from movemirror.ingest.frames import probe_video, sample_times
from movemirror.ingest.ledger import Ledger
from movemirror.ingest.pool import run_units
from movemirror.ingest.tracks import link_tracks
from movemirror.ingest.work import SEGMENT_SECONDS, Settings, Unit, UnitResult
from movemirror.keypoints import NUM_KEYPOINTS

LOCK = ".index.lock"
COMMIT_EVERY_SECONDS = 10.0  # a run saves its progress at least this often


@dataclass
class Summary:
    files: int = 0  # media files found
    files_done: int = 0  # files completed in this run
    files_indexed: int = 0  # ... of which gave at least one entry
    already: int = 0  # files already complete in the bank
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
    bank_entries: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.work_seconds if self.work_seconds > 0 else 0.0


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
              reporter: Reporter | None = None) -> Summary:
    settings = settings or Settings()
    reporter = reporter or SilentReporter()
    bank_dir = Path(bank_dir)
    bank_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(bank_dir):
        return _Run(sources, bank_dir, settings, workers, rebuild, attribution or Attribution(),
                    commit_every, reporter).run()


class _Run:
    def __init__(self, sources, bank_dir: Path, settings: Settings, workers: int, rebuild: bool,
                 attribution: Attribution, commit_every: float, reporter: Reporter):
        self.sources = list(sources)
        self.bank_dir = bank_dir
        self.settings = settings
        self.workers = workers
        self.attribution = attribution
        self.commit_every = commit_every
        self.reporter = reporter
        self.summary = Summary()
        self.started = time.perf_counter()
        self.bank, self.ledger, self.exists = _open(bank_dir, rebuild)
        self.ids = set(self.bank.ids)
        self.pending_rows: list[dict] = []
        self.pending_entries: list[tuple[Unit, object]] = []
        self.files: dict[str, MediaFile] = {}
        self.units_left: dict[str, int] = {}
        self.file_results: dict[str, list[UnitResult]] = defaultdict(list)
        self.planned: dict[tuple[str, float], int] = {}

    def run(self) -> Summary:
        units = self._plan()
        self.reporter.planned(self.summary)
        last_commit = time.perf_counter()
        commit_cost = 0.0
        work_started = time.perf_counter()
        for result in run_units(units, self.settings, self.workers):
            self._take(result)
            now = time.perf_counter()
            # Space commits out if they grow slow (each one is an append, a new version).
            if now - last_commit >= max(self.commit_every, 4 * commit_cost):
                self._commit()
                commit_cost = time.perf_counter() - now
                last_commit = time.perf_counter()
        self.summary.work_seconds = time.perf_counter() - work_started if units else 0.0
        if self.pending_rows or not self.exists:
            self._commit()
        self.summary.bank_entries = len(self.bank)
        self.summary.seconds = time.perf_counter() - self.started
        return self.summary

    # --- planning ------------------------------------------------------------------------

    def _plan(self) -> list[Unit]:
        units: list[Unit] = []
        seen: dict[str, str] = {}
        for found in discover(self.sources, exclude=[self.bank_dir]):
            if isinstance(found, Skip):
                self.summary.skipped.append((str(found.path), found.reason))
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
        fresh = [e for e in result.entries if e.id not in self.ids]
        for entry in fresh:
            self.ids.add(entry.id)
            self.pending_entries.append((unit, entry))
        # A unit redone after a crash between its entries' commit and its ledger row's
        # finds its entries already in the bank: it is indexed all the same.
        indexed = bool(fresh) or bool(result.entries)
        status = "indexed" if indexed else ("skipped" if result.error else "empty")
        reason = result.error or (None if indexed else _no_pose_reason(result))
        self.pending_rows.append({
            "hash": unit.hash, "path": unit.path, "kind": unit.kind, "start": unit.start,
            "end": unit.end, "segments": unit.segments, "status": status, "reason": reason,
            "entries": len(fresh), "frames": result.frames, "duplicates": result.duplicates,
            "rejected": sum(result.rejected.values()), "size": found.size,
            "mtime_ns": found.mtime_ns, "seconds": round(result.seconds, 4),
        })
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
        if self.pending_entries:
            keypoints, ids, meta = _entries(self.pending_entries, self.settings.model,
                                            self.attribution)
            self.bank.add(keypoints, ids, meta)
        for row in self.pending_rows:
            self.ledger.add(row)
        self.bank.tables = {**self.bank.tables, ledger_table.TABLE: self.ledger.table()}
        self.bank.save(self.bank_dir)
        self.exists = True
        self.pending_entries.clear()
        self.pending_rows.clear()
        self.reporter.committed(len(self.bank))


def _open(bank_dir: Path, rebuild: bool) -> tuple[PoseBank, Ledger, bool]:
    found = None if rebuild else storage.bank_format(bank_dir)
    if found == 1:
        raise IngestError(f"{bank_dir}: a format-1 bank is read-only: run `movemirror bank "
                          f"upgrade {bank_dir}` first (or use --rebuild to start it over)")
    if found is not None:
        try:
            bank = PoseBank.load(bank_dir)
        except BankError as error:
            raise IngestError(f"{error}; use --rebuild to start this bank over") from error
        table = bank.tables.get(ledger_table.TABLE)
        if table is not None:
            table = table.cast(ledger_table.SCHEMA)
        return bank, Ledger(table), True
    empty = PoseBank.from_keypoints(np.empty((0, NUM_KEYPOINTS, 3), np.float32), ids=[],
                                    meta=METADATA_SCHEMA.empty_table())
    return empty, Ledger(), False


def _entries(pending, model: str, attribution: Attribution):
    """The keypoints, ids and metadata (pictures included) of the entries to commit."""
    credits = {}
    meta = []
    tracks = _track_names(pending)
    for (unit, entry), track in zip(pending, tracks, strict=True):
        if unit.path not in credits:
            credits[unit.path] = attribution.lookup(unit.path)
        credit = credits[unit.path]
        meta.append({
            "source": unit.path, "frame_time": entry.frame_time, "track": track,
            "box": entry.box,
            "thumbnail": thumbnail_path(entry.id),
            "credit": credit.credit if credit else None,
            "licence": credit.licence if credit else None,
            "kind": unit.kind, "content_hash": unit.hash, "person": entry.person,
            "score": entry.score, "model": model, "thumb_box": entry.thumb_box,
            "width": entry.width, "height": entry.height, IMAGE: entry.thumbnail,
        })
    schema = METADATA_SCHEMA.append(pa.field(IMAGE, IMAGE_TYPE))
    return (np.stack([entry.keypoints for _, entry in pending]),
            [entry.id for _, entry in pending], pa.Table.from_pylist(meta, schema=schema))


def _track_names(pending) -> list[str | None]:
    """Each entry's track: a video's people linked across the frames of its unit (a track
    ends where a unit does), named by the file, the unit's start and the track's number;
    None for a photo."""
    names: list[str | None] = [None] * len(pending)
    by_unit: dict[Unit, list[int]] = defaultdict(list)
    for position, (unit, _) in enumerate(pending):
        if unit.kind == "video":
            by_unit[unit].append(position)
    for unit, positions in by_unit.items():
        entries = [pending[p][1] for p in positions]
        numbers = link_tracks([e.frame_time for e in entries], [e.box for e in entries])
        prefix = f"{unit.hash[:16]}:{round(unit.start * 1000)}"
        for position, number in zip(positions, numbers, strict=True):
            names[position] = f"{prefix}:{number}"
    return names


def _no_pose_reason(result: UnitResult) -> str:
    return _no_pose_reason_counts(result.rejected, result.duplicates)


def _no_pose_reason_counts(rejected: Counter, duplicates: int = 0) -> str:
    if not rejected:
        return "no frames" if not duplicates else "only duplicate poses"
    reason, _ = rejected.most_common(1)[0]
    return f"no usable pose ({reason})"


class _exclusive:
    """An advisory lock so that two runs never write one bank; released even on kill -9."""

    def __init__(self, bank_dir: Path):
        self.path = bank_dir / LOCK

    def __enter__(self):
        self.handle = open(self.path, "a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise IngestError(f"{self.path.parent}: another `movemirror index` is writing this "
                              "bank; wait for it to finish") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
