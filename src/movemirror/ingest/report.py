"""What the ledger says about a bank's sources, and the files a run skipped, as plain data.

The CLI (`movemirror index`, `movemirror bank info`) renders these; nothing here prints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

EXAMPLES_PER_REASON = 2  # files a summary names for each reason (all of them: SkippedFile list)


@dataclass(frozen=True)
class SkippedFile:
    """A file of the ledger that gave no entry: unreadable ("skipped") or no pose kept
    ("empty"), with the reason recorded when it was processed."""

    path: str
    kind: str  # "photo" or "video"
    status: str  # "skipped" or "empty"
    reason: str


@dataclass(frozen=True)
class ReasonGroup:
    reason: str
    count: int
    examples: tuple[str, ...]  # the first EXAMPLES_PER_REASON paths


def _files(table: pa.Table) -> dict[str, dict]:
    """The ledger's per-unit rows folded into one record per file (by content hash)."""
    files: dict[str, dict] = defaultdict(lambda: {"entries": 0, "reasons": []})
    for row in table.to_pylist():
        info = files[row["hash"]]
        info.setdefault("path", row["path"])
        info["kind"] = row["kind"]
        info["entries"] += row["entries"] or 0
        if row["reason"]:
            info["reasons"].append((row["status"], row["reason"]))
        for count in ("frames", "duplicates", "rejected"):
            info[count] = info.get(count, 0) + (row[count] or 0)
    return files


def _outcome(info: dict) -> tuple[str, str]:
    """Why a file that gave no entry gave none: (status, reason)."""
    return info["reasons"][0] if info["reasons"] else ("empty", "no frames")


def ledger_stats(table: pa.Table) -> dict:
    """Per-file counts from the ledger's per-unit rows: files by kind and by outcome, frames,
    duplicates dropped, poses refused, and the commonest reasons a file gave nothing."""
    files = _files(table)
    kinds = Counter(info["kind"] for info in files.values())
    outcome: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for info in files.values():
        if info["entries"]:
            outcome["indexed"] += 1
        else:
            status, reason = _outcome(info)
            outcome[status] += 1
            reasons[reason] += 1
    return {"files": len(files), "kinds": dict(kinds), "outcome": dict(outcome),
            "frames": sum(info["frames"] for info in files.values()),
            "duplicates": sum(info["duplicates"] for info in files.values()),
            "rejected": sum(info["rejected"] for info in files.values()),
            "reasons": reasons.most_common(8)}


def skipped_files(table: pa.Table) -> list[SkippedFile]:
    """Every file of the ledger that gave no entry, with its reason, in ledger order."""
    skipped = []
    for info in _files(table).values():
        if not info["entries"]:
            status, reason = _outcome(info)
            skipped.append(SkippedFile(info["path"], info["kind"], status, reason))
    return skipped


def group_by_reason(skipped: Iterable[tuple[str, str]],
                    examples: int = EXAMPLES_PER_REASON) -> list[ReasonGroup]:
    """(path, reason) pairs grouped by reason, commonest first, with the first few paths."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for path, reason in skipped:
        by_reason[reason].append(path)
    groups = sorted(by_reason.items(), key=lambda item: -len(item[1]))
    return [ReasonGroup(reason, len(paths), tuple(paths[:examples])) for reason, paths in groups]
