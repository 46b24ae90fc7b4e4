"""`movemirror bank info|history|compact|upgrade DIR`: what a bank holds (and, with --skipped,
every file it skipped), its versions, merging its small files (and removing old versions),
converting a format-1 bank."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from movemirror.cli.commands import Typer
from movemirror.cli.console import console, errors, fail
from movemirror.cli.params import AGE, DIR, FILE, BankArgument, N
from movemirror.errors import BankError
from movemirror.keypoints import KEYPOINT_NAMES
from movemirror.vectors import MIN_SCORE
from movemirror.wording import counted

app = Typer(help="Inspect and maintain pose banks.", no_args_is_help=True)

SKIPPED_CSV_FIELDS = ("path", "kind", "status", "reason")


@app.command("info")
def info(
    bank_dir: BankArgument,
    version: int | None = typer.Option(None, "--version", min=1, metavar=N,
                                       help="An older version to summarise (see `bank history`); "
                                            "the latest by default."),
    skipped: bool = typer.Option(
        False, "--skipped", help="List every file that gave no entry, one a line: its full path, "
                                 "then why (from the bank's ledger), instead of the summary."),
    csv_file: Path | None = typer.Option(
        None, "--csv", metavar=FILE,
        help=f"Also write every file that gave no entry to this CSV "
             f"({', '.join(SKIPPED_CSV_FIELDS)})."),
):
    """Summarise a bank: its poses, the files they come from, the files `movemirror index`
    skipped and why, and how well each keypoint is covered."""
    from movemirror.bank import PoseBank
    from movemirror.ingest.ledger import TABLE

    try:
        bank = PoseBank.load(bank_dir, version=version)
    except BankError as error:
        raise fail(str(error)) from None
    ledger = bank.tables.get(TABLE)  # kept by `movemirror index`
    if (skipped or csv_file is not None) and ledger is None:
        raise fail(f"{bank_dir}: this bank has no ledger of source files (it was not built by "
                   "`movemirror index`), so it cannot tell which files were skipped")
    if csv_file is not None:
        try:
            count = write_skipped_csv(ledger, csv_file)
        except OSError as error:  # a file where its folder would be, a folder, no permission
            raise fail(f"{csv_file}: cannot write the CSV: {error.strerror or error}") from None
        # With --skipped, stdout is the list alone (for grep and friends).
        (errors if skipped else console).print(f"wrote {count:,} skipped files to {csv_file}",
                                               markup=False, highlight=False)
    if skipped:
        print_skipped(ledger)
        return
    # The files the poses come from; the ledger's line below counts every file index read.
    sources = (f" from {counted(count_sources(bank.records), 'file')}"
               if len(bank) and "source" in bank.records.column_names else "")
    console.print(f"[bold]{escape(str(bank_dir))}[/]: {counted(len(bank), 'pose')}{sources}")
    console.print(f"format {bank.format}, version {bank.generation}", highlight=False)
    print_tracks(bank)
    if ledger is not None:
        print_ledger(ledger, bank_dir)
    if len(bank):
        scores = bank.keypoints[..., 2]
        table = Table("keypoint", f"confident (score >= {MIN_SCORE:g})", "mean score")
        for k, name in enumerate(KEYPOINT_NAMES):
            table.add_row(name, f"{np.mean(scores[:, k] >= MIN_SCORE):.0%}",
                          f"{scores[:, k].mean():.2f}")
        console.print(table)


@app.command("history")
def history(bank_dir: BankArgument):
    """List the bank's versions: each commit, when, how many poses and data fragments."""
    from movemirror.bank import storage

    try:
        versions = storage.history(bank_dir)
    except BankError as error:
        raise fail(str(error)) from None
    table = Table("version", "committed (UTC)", "poses", "fragments")
    for entry in versions:
        table.add_row(str(entry["version"]), entry["time"], f"{entry['poses']:,}",
                      str(entry["fragments"]))
    console.print(table)
    console.print(f"open one with: movemirror bank info {bank_dir} --version N",
                  markup=False, highlight=False)


@app.command("compact")
def compact(
    bank_dir: BankArgument,
    keep_versions: int | None = typer.Option(
        None, "--keep-versions", min=1, metavar=N,
        help="Then remove all but the newest N versions and the files only they use (1: the "
             "latest alone)."),
    prune_older_than: str | None = typer.Option(
        None, "--prune-older-than", metavar=AGE,
        help="Then remove the versions committed more than this long ago (30m, 12h, 7d, 2w) and "
             "their files."),
):
    """Merge the many small files that appends leave into few (a new version, same poses);
    with --keep-versions or --prune-older-than, also remove old versions (never the
    latest): they can no longer be opened, and their files are gone."""
    from movemirror.bank import storage

    try:
        older_than = parse_age(prune_older_than) if prune_older_than is not None else None
    except ValueError as error:
        raise fail(str(error), 2) from None
    try:
        merged = storage.compact(bank_dir)
        pruned = (storage.prune(bank_dir, keep_versions, older_than)
                  if keep_versions is not None or older_than is not None else {})
    except BankError as error:
        raise fail(str(error)) from None
    if all(before == after for before, after in merged.values()):  # no new version made
        lines = [f"{bank_dir}: nothing to compact (" + ", ".join(
            f"{name}: {counted(after, 'fragment')}" for name, (_, after) in merged.items()) + ")"]
    else:
        lines = [f"{name}: {counted(before, 'fragment')} -> {after:,}"
                 for name, (before, after) in merged.items()]
    if pruned and not any(versions for versions, _ in pruned.values()):
        lines.append(f"{bank_dir}: no old version to remove")
    else:
        lines += [f"{name}: {counted(versions, 'old version')} removed ({counted(removed, 'byte')})"
                  for name, (versions, removed) in pruned.items()]
    for line in lines:
        console.print(line, markup=False, highlight=False)


AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """30m, 12h, 7d, 2w (or a number of seconds) as a timedelta."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in AGE_UNITS else (text, "s")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"--prune-older-than {text!r}: give a number and a unit "
                         f"({', '.join(AGE_UNITS)}), such as 7d") from None
    if value < 0:
        raise ValueError(f"--prune-older-than {text!r}: must not be negative")
    return timedelta(seconds=value * AGE_UNITS[unit])


@app.command("upgrade")
def upgrade(bank_dir: Path = typer.Argument(..., metavar=DIR,
                                            help="The bank directory (format 1).")):
    """Convert a format-1 bank (manifest.json, Parquet, thumbs/) to format 2 in place,
    atomically: until the last step it is still the format-1 bank."""
    from movemirror.bank import storage

    try:
        before = storage.bank_format(bank_dir)
        poses, pictures = storage.upgrade(bank_dir)
    except BankError as error:
        raise fail(str(error)) from None
    if before == 2:
        console.print(f"{bank_dir}: already format 2 ({counted(poses, 'pose')})", markup=False,
                      highlight=False)
        return
    console.print(f"{bank_dir}: upgraded to format 2: {counted(poses, 'pose')}, "
                  f"{counted(pictures, 'picture')}", markup=False, highlight=False)


def count_sources(records: pa.Table) -> int:
    """How many files the poses come from: the distinct sources, a pose without one aside."""
    return len(set(records.column("source").to_pylist()) - {None})


def print_tracks(bank) -> None:
    from movemirror.errors import MotionError
    from movemirror.motion.tracks import summarise_tracks

    try:
        summary = summarise_tracks(bank.records)
    except MotionError as error:
        console.print(f"tracks: unusable for movement search: {error}", markup=False)
        return
    if not summary.moving:
        moving = ("none moves (movement search needs tracks of two timed poses or more: a "
                  "person followed through a video)")
    else:
        verbs = ("moves", "takes") if summary.moving == 1 else ("move", "take")
        moving = (f"{summary.moving:,} {verbs[0]} ({counted(summary.moving_poses, 'pose')}, "
                  f"{format_duration(summary.duration_s)} in all) and {verbs[1]} part in "
                  "movement search")
    console.print(f"tracks: {summary.tracks:,}; {moving}", markup=False, highlight=False)


def format_duration(seconds: float) -> str:
    """1 h 02 min 03.4 s, 2 min 03.4 s or 3.4 s."""
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours} h {minutes:02d} min {rest:04.1f} s"
    return f"{minutes} min {rest:04.1f} s" if minutes else f"{rest:.1f} s"


def print_ledger(table: pa.Table, bank_dir: str | Path) -> None:
    from movemirror.ingest.report import ledger_stats

    stats = ledger_stats(table)
    kinds = ", ".join(counted(n, kind) for kind, n in sorted(stats["kinds"].items()))
    # "indexed" (the files that gave poses) first: the count the bank's first line gives.
    outcome = ", ".join(f"{n:,} {status}" for status, n in sorted(
        stats["outcome"].items(), key=lambda item: (item[0] != "indexed", item[0])))
    console.print(f"files read by index: {stats['files']:,} ({kinds}): {outcome}")
    console.print(f"frames: {stats['frames']:,}; duplicates dropped: "
                  f"{stats['duplicates']:,}; poses refused: {stats['rejected']:,}")
    for reason, n in stats["reasons"]:
        console.print(f"  {counted(n, 'file')} gave no entry: {reason}", markup=False)
    if stats["reasons"]:
        console.print(f"  every one with its reason: movemirror bank info {bank_dir} --skipped",
                      markup=False, highlight=False)


def print_skipped(table: pa.Table) -> None:
    """Every file that gave no entry: the full path, then the reason, one a line."""
    from movemirror.ingest.report import skipped_files

    for file in skipped_files(table):
        console.print(f"{file.path}: {file.reason}", markup=False, highlight=False)


def write_skipped_csv(table: pa.Table, path: Path) -> int:
    """Write every file that gave no entry to a CSV; return how many."""
    from movemirror.ingest.report import skipped_files

    files = skipped_files(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SKIPPED_CSV_FIELDS)
        writer.writerows((f.path, f.kind, f.status, f.reason) for f in files)
    return len(files)
