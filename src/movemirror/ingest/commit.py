"""The one place where an indexing run writes its bank: open it, stage new poses, commit.

Whatever the engine, results reach the bank only through BankWriter, in the driver process,
so each pose id is committed once (ids already in the bank or staged are dropped). A commit
appends the new entries (their pictures included) to the bank, then the ledger rows of the
units that produced them: a unit whose row is missing after a crash is redone by the next
run, and its entries, already in the bank, are not added twice (their ids are made from
their content).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

from movemirror.bank import PoseBank, storage
from movemirror.bank.schema import IMAGE, IMAGE_TYPE, METADATA_SCHEMA
from movemirror.bank.storage import thumbnail_path
from movemirror.errors import BankError, IngestError
from movemirror.ingest import ledger as ledger_table
from movemirror.ingest.attribution import Attribution
from movemirror.ingest.ledger import Ledger
from movemirror.ingest.tracks import link_tracks
from movemirror.ingest.work import Entry, Unit
from movemirror.keypoints import NUM_KEYPOINTS


class BankWriter:
    def __init__(self, bank_dir: str | Path, rebuild: bool, model: str,
                 attribution: Attribution):
        self.bank_dir = bank_dir  # a folder or a URI (s3://...)
        self.model = model
        self.attribution = attribution
        self.bank, self.ledger, self.exists = _open(bank_dir, rebuild)
        self.staged_ids: set[str] = set()  # since the last commit (the bank knows the rest)
        self.pending_rows: list[dict] = []
        self.pending_entries: list[tuple[Unit, Entry]] = []

    def __len__(self) -> int:
        return len(self.bank)

    def fresh(self, entries: list[Entry]) -> list[Entry]:
        """The entries whose ids are neither in the bank nor staged (each id once)."""
        known = self.bank.contains_ids([e.id for e in entries])
        out, seen = [], set()
        for entry, in_bank in zip(entries, known, strict=True):
            if not in_bank and entry.id not in self.staged_ids and entry.id not in seen:
                seen.add(entry.id)
                out.append(entry)
        return out

    def stage(self, unit: Unit, entries: list[Entry], row: dict | None) -> list[Entry]:
        """Stage a unit's entries (those whose ids are new) and its ledger row (None: the unit
        is not recorded, so a later run does it again); returns the entries staged."""
        fresh = self.fresh(entries)
        for entry in fresh:
            self.staged_ids.add(entry.id)
            self.pending_entries.append((unit, entry))
        if row is not None:
            self.pending_rows.append(row)
        return fresh

    @property
    def staged(self) -> bool:
        """Entries or ledger rows wait for the next commit."""
        return bool(self.pending_rows or self.pending_entries)

    @property
    def dirty(self) -> bool:
        return self.staged or not self.exists

    def commit(self) -> int:
        """Append what is staged (entries, then ledger rows); returns the bank's size."""
        if self.pending_entries:
            keypoints, ids, meta = _entries(self.pending_entries, self.model, self.attribution)
            self.bank.add(keypoints, ids, meta)
        for row in self.pending_rows:
            self.ledger.add(row)
        self.bank.tables = {**self.bank.tables, ledger_table.TABLE: self.ledger.table()}
        self.bank.save(self.bank_dir)
        self.exists = True
        self.pending_entries.clear()
        self.pending_rows.clear()
        self.staged_ids.clear()
        return len(self.bank)


def _open(bank_dir: str | Path, rebuild: bool) -> tuple[PoseBank, Ledger, bool]:
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
            try:
                table = table.cast(ledger_table.SCHEMA)
            except (ValueError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise IngestError(f"{bank_dir}: its table {ledger_table.TABLE!r} is not the "
                                  f"ledger `movemirror index` keeps ({error}); use --rebuild "
                                  "to start this bank over") from None
        return bank, Ledger(table), True
    empty = PoseBank.from_keypoints(np.empty((0, NUM_KEYPOINTS, 3), np.float32), ids=[],
                                    meta=METADATA_SCHEMA.empty_table())
    return empty, Ledger(), False


def _entries(pending, model: str, attribution: Attribution):
    """The keypoints, ids and metadata (pictures included) of the entries to commit."""
    credits = {}
    for unit, _ in pending:
        if unit.path not in credits:
            credits[unit.path] = attribution.lookup(unit.path)
    units = [unit for unit, _ in pending]
    entries = [entry for _, entry in pending]
    given = [credits[unit.path] for unit in units]
    columns = {
        "source": [unit.path for unit in units],
        "frame_time": [entry.frame_time for entry in entries],
        "track": _track_names(pending),
        "box": [entry.box for entry in entries],
        "thumbnail": [thumbnail_path(entry.id) for entry in entries],
        "credit": [credit.credit if credit else None for credit in given],
        "licence": [credit.licence if credit else None for credit in given],
        "published_source": [credit.source if credit else None for credit in given],
        "kind": [unit.kind for unit in units],
        "content_hash": [unit.hash for unit in units],
        "person": [entry.person for entry in entries],
        "score": [entry.score for entry in entries],
        "model": [model] * len(entries),
        "thumb_box": [entry.thumb_box for entry in entries],
        "width": [entry.width for entry in entries],
        "height": [entry.height for entry in entries],
        IMAGE: [entry.thumbnail for entry in entries],
    }
    schema = METADATA_SCHEMA.append(pa.field(IMAGE, IMAGE_TYPE))
    meta = pa.table({field.name: pa.array(columns[field.name], field.type) for field in schema},
                    schema=schema)
    return (np.stack([entry.keypoints for entry in entries]), [entry.id for entry in entries],
            meta)


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
