"""What the ledger says about a bank's sources, for `movemirror bank info`."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa


def ledger_stats(table: pa.Table) -> dict:
    """Per-file counts from the ledger's per-unit rows: files by kind and by outcome, frames,
    duplicates dropped, poses refused, and the commonest reasons a file gave nothing."""
    files: dict[str, dict] = defaultdict(lambda: {"entries": 0, "reasons": []})
    frames = duplicates = rejected = 0
    for row in table.to_pylist():
        info = files[row["hash"]]
        info["kind"] = row["kind"]
        info["entries"] += row["entries"] or 0
        if row["reason"]:
            info["reasons"].append((row["status"], row["reason"]))
        frames += row["frames"] or 0
        duplicates += row["duplicates"] or 0
        rejected += row["rejected"] or 0
    kinds = Counter(info["kind"] for info in files.values())
    outcome: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for info in files.values():
        if info["entries"]:
            outcome["indexed"] += 1
        else:
            status, reason = info["reasons"][0] if info["reasons"] else ("empty", "no frames")
            outcome[status] += 1
            reasons[reason] += 1
    return {"files": len(files), "kinds": dict(kinds), "outcome": dict(outcome),
            "frames": frames, "duplicates": duplicates, "rejected": rejected,
            "reasons": reasons.most_common(8)}


def print_ledger(table: pa.Table) -> None:
    from movemirror.cli.console import console

    stats = ledger_stats(table)
    kinds = ", ".join(f"{n:,} {kind}s" for kind, n in sorted(stats["kinds"].items()))
    outcome = ", ".join(f"{n:,} {status}" for status, n in sorted(stats["outcome"].items()))
    console.print(f"indexed files: {stats['files']:,} ({kinds}): {outcome}")
    console.print(f"frames: {stats['frames']:,}; duplicates dropped: "
                  f"{stats['duplicates']:,}; poses refused: {stats['rejected']:,}")
    for reason, n in stats["reasons"]:
        console.print(f"  {n:,} files gave no entry: {reason}")
