"""The one place where an indexing run writes its bank: open it, stage new poses, commit.

Whatever the engine, results reach the bank only through BankWriter, in the driver process,
so each pose id is committed once (ids already in the bank or staged are dropped) and each
commit saves the poses together with the ledger rows of the units that produced them.
Thumbnails are on disk before the commit that names them.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

from movemirror.bank import PoseBank
from movemirror.bank.schema import METADATA_SCHEMA
from movemirror.bank.storage import MANIFEST, remove_orphan_thumbnails, thumbnail_path
from movemirror.errors import BankError, IngestError
from movemirror.files import sync_files, write_atomic
from movemirror.ingest import ledger as ledger_table
from movemirror.ingest.attribution import Attribution
from movemirror.ingest.ledger import Ledger
from movemirror.ingest.tracks import link_tracks
from movemirror.ingest.work import Entry, Unit
from movemirror.keypoints import NUM_KEYPOINTS


class BankWriter:
    def __init__(self, bank_dir: Path, rebuild: bool, model: str, attribution: Attribution):
        self.bank_dir = bank_dir
        self.model = model
        self.attribution = attribution
        self.bank, self.ledger, self.exists = _open(bank_dir, rebuild)
        self.ids = set(self.bank.ids)
        self.pending_rows: list[dict] = []
        self.pending_entries: list[tuple[Unit, Entry]] = []
        self.pending_thumbnails: list[Path] = []

    def __len__(self) -> int:
        return len(self.bank)

    def stage(self, unit: Unit, entries: list[Entry], row: dict | None) -> list[Entry]:
        """Stage a unit's entries (those whose ids are new) and its ledger row (None: the unit
        is not recorded, so a later run does it again); returns the entries staged."""
        fresh = [e for e in entries if e.id not in self.ids]
        for entry in fresh:
            thumbnail = self.bank_dir / thumbnail_path(entry.id)
            write_atomic(thumbnail, entry.thumbnail, sync=False)  # synced by the next commit
            self.pending_thumbnails.append(thumbnail)
            self.ids.add(entry.id)
            self.pending_entries.append((unit, entry))
        if row is not None:
            self.pending_rows.append(row)
        return fresh

    @property
    def dirty(self) -> bool:
        return bool(self.pending_rows or self.pending_entries) or not self.exists

    def commit(self) -> int:
        """Save what is staged in one atomic commit; returns the bank's size."""
        if self.pending_entries:
            new = _entries_bank(self.pending_entries, self.model, self.attribution)
            self.bank = PoseBank.concat([self.bank, new]) if len(self.bank) else new
        for row in self.pending_rows:
            self.ledger.add(row)
        self.bank.tables = {**self.bank.tables, ledger_table.TABLE: self.ledger.table()}
        sync_files(self.pending_thumbnails)  # on disk before the manifest that names them
        self.bank.save(self.bank_dir)
        self.exists = True
        self.pending_entries.clear()
        self.pending_thumbnails.clear()
        self.pending_rows.clear()
        return len(self.bank)

    def finish(self) -> None:
        remove_orphan_thumbnails(self.bank_dir, self.bank.records)


def _open(bank_dir: Path, rebuild: bool) -> tuple[PoseBank, Ledger, bool]:
    if not rebuild and (bank_dir / MANIFEST).exists():
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


def _entries_bank(pending, model: str, attribution: Attribution) -> PoseBank:
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
            "width": entry.width, "height": entry.height,
        })
    return PoseBank.from_keypoints(
        np.stack([entry.keypoints for _, entry in pending]),
        ids=[entry.id for _, entry in pending],
        meta=pa.Table.from_pylist(meta, schema=METADATA_SCHEMA),
    )


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
