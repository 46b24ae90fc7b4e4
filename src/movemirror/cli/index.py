"""`movemirror index SOURCE... --bank DIR`: add the poses of photos and videos to a bank."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from movemirror.cli.choices import models_help, modes_help
from movemirror.cli.console import UncutProgress, console, fail
from movemirror.cli.params import (
    ADDRESS,
    DEVICE,
    DIR,
    DISTANCE,
    ENGINE,
    FILE,
    FRACTION,
    KIND,
    MODE,
    MODEL,
    MS,
    PIXELS,
    SCORE,
    SECONDS,
    SOURCE,
    N,
)
from movemirror.cli.values import choice
from movemirror.ingest.engines import DEFAULT_ENGINE, ENGINES
from movemirror.ingest.report import EXAMPLES_PER_REASON, group_by_reason
from movemirror.ingest.run import COMMIT_EVERY_SECONDS
from movemirror.ingest.work import THUMB_KINDS, Settings
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.pose import MODELS, MODES
from movemirror.pose.session import DEVICES
from movemirror.wording import counted, either

# Progress in a log (output not a terminal): a plain line at most this often, not a bar.
LOG_PROGRESS_SECONDS = 30.0

# The library's defaults, read once: a default changed there changes here and in the help.
DEFAULTS = Settings()
QUALITY = DEFAULTS.quality


def index(
    sources: list[Path] = typer.Argument(..., metavar=SOURCE,
                                         help="Photos, videos or folders (recursive)."),
    bank_dir: str = typer.Option(..., "--bank", metavar=DIR, help="The bank to create or add to: a "
                                 "directory, or a URI Lance supports (s3://bucket/bank)."),
    model: str = typer.Option(DEFAULTS.model, metavar=MODEL, help=models_help(),
                              callback=choice(MODELS)),
    mode: str = typer.Option(DEFAULTS.mode, metavar=MODE, callback=choice(MODES),
                             help=modes_help() + " The default is crop: on LSPET, a best-mode "
                             "archive keeps more photos but its matches are only about 0.01 of "
                             "the oracle gap closer to the query (`movemirror bench quality`), "
                             "at a tenth of the photos a second."),
    every_ms: int = typer.Option(DEFAULTS.every_ms, "--every-ms", min=1, metavar=MS,
                                 help="Sample videos every this many milliseconds."),
    min_score: float = typer.Option(QUALITY.min_pose_score, "--min-score", metavar=SCORE,
                                    help="Minimum pose score."),
    min_keypoints: int = typer.Option(
        QUALITY.min_keypoints, "--min-keypoints", min=0, max=NUM_KEYPOINTS, metavar=N,
        help=f"Minimum confident keypoints (score >= {QUALITY.keypoint_score:g})."),
    full_body: bool = typer.Option(QUALITY.full_body, "--full-body/--any-body",
                                   help="Keep only people seen from head to ankle."),
    min_size: float = typer.Option(QUALITY.min_person_size, "--min-size", min=0.0,
                                   metavar=FRACTION,
                                   help="Minimum person height (or width) as a fraction of "
                                        "the frame's shorter side."),
    largest_only: bool = typer.Option(DEFAULTS.largest_only, "--largest-only",
                                      help="Keep only the largest person of each frame."),
    max_people: int = typer.Option(DEFAULTS.max_people, "--max-people", min=1, metavar=N,
                                   help="People per frame at most."),
    dedup: float = typer.Option(DEFAULTS.dedup, "--dedup", min=0.0, metavar=DISTANCE,
                                help="Drop a video pose closer than this (cosine distance) to "
                                     "the last one kept for that person; 0 keeps all."),
    thumb: str = typer.Option(DEFAULTS.thumb, metavar=KIND, callback=choice(THUMB_KINDS),
                              help="The picture kept with each pose: person (a crop around the "
                                   "person) or frame (the whole frame)."),
    thumb_size: int = typer.Option(DEFAULTS.thumb_size, "--thumb-size", min=64, metavar=PIXELS,
                                   help="Longest side of each pose's picture, at most (a "
                                        "smaller source is never enlarged)."),
    attribution: list[Path] = typer.Option([], "--attribution", metavar=FILE,
                                           help="CSV or JSON mapping files to credit and "
                                                "licence lines (repeatable)."),
    detect_every: int = typer.Option(
        DEFAULTS.detect_every, "--detect-every", min=1, metavar=N,
        help="In videos, find people (MultiPose) on one sampled frame in this many and follow "
             "them on the crops of their last poses in between (also at scene cuts and when "
             "someone is lost); 1, the default, finds them on every frame."),
    workers: int = typer.Option(0, "--workers", min=0, metavar=N,
                                help="Worker processes, or Ray actors (0: one per core)."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", metavar=ENGINE,
                               callback=choice(ENGINES),
                               help=f"Where the work runs: {either(ENGINES)} (a Ray "
                                    "cluster; needs the cluster extra)."),
    address: str | None = typer.Option(None, "--address", metavar=ADDRESS,
                                       help="The Ray cluster to join, e.g. 10.0.0.5:6379 or "
                                            "auto (default: Ray starts on this machine)."),
    device: str = typer.Option("auto", "--device", metavar=DEVICE, callback=choice(DEVICES),
                               help=f"Where the models run: {either(DEVICES)} (auto: CUDA where "
                                    "onnxruntime-gpu is installed and a device is found, else "
                                    "the CPU)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Start the bank over."),
    commit_every: float = typer.Option(COMMIT_EVERY_SECONDS, "--commit-every", min=0.0,
                                       metavar=SECONDS,
                                       help="Save progress at least this often (seconds)."),
):
    """Find the poses in photos and videos and add them to a bank.

    Re-running adds only what is new; an interrupted run resumes where it stopped.
    """
    from movemirror.errors import (
        AttributionError,
        DeviceError,
        IngestError,
        ModelMissingError,
        NothingToIndexError,
    )
    from movemirror.ingest.attribution import Attribution
    from movemirror.ingest.engines import make_engine
    from movemirror.ingest.engines.local import LocalEngine
    from movemirror.ingest.quality import QualityFilter
    from movemirror.ingest.run import run_index

    if address and engine != "ray":
        raise fail("--address is for --engine ray", 2)
    # A mistyped SOURCE would otherwise create an empty bank and end in success.
    missing = [str(source) for source in sources
               if not source.exists() and not source.is_symlink()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)} (nothing was indexed)", 2)
    try:
        credits = Attribution.load(attribution)
    except AttributionError as error:
        raise fail(str(error), 2) from None
    settings = Settings(
        model=model, mode=mode, every_ms=every_ms, largest_only=largest_only, max_people=max_people,
        dedup=dedup, thumb=thumb, thumb_size=thumb_size, detect_every=detect_every,
        quality=QualityFilter(min_pose_score=min_score, min_keypoints=min_keypoints,
                              full_body=full_body, min_person_size=min_size),
    )
    try:
        runner = make_engine(engine, workers=workers, address=address, device=device)
    except DeviceError as error:
        raise fail(str(error), 2) from None
    reporter = ProgressReporter() if console.on_terminal else LogReporter()
    try:
        with reporter:
            summary = run_index(sources, bank_dir, settings, rebuild=rebuild,
                                attribution=credits, commit_every=commit_every,
                                reporter=reporter, engine=runner)
    except NothingToIndexError as error:
        if error.skipped:
            print_skipped(error.skipped, bank_dir)
        raise fail(str(error)) from None
    except (IngestError, ModelMissingError, DeviceError) as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        stop = fail(interrupted(bank_dir, reporter.saved, commit_every), 130)
        if isinstance(runner, LocalEngine) and runner.workers <= 1:
            # The unit at work runs on a thread of this process that cannot be stopped, and
            # the interpreter's shutdown beside it aborts in ONNX Runtime ("terminate called
            # without an active exception"): leave at once (commits are on disk already).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(stop.exit_code)
        raise stop from None
    print_summary(summary, bank_dir)
    if not summary.bank_entries:
        # Every file unreadable (or without a usable pose): not a success. The bank stays, its
        # ledger holding why each file gave nothing, so a re-run does not read them again.
        where = ("why each gave nothing is above" if summary.skipped else
                 f"why each gave nothing: movemirror bank info {bank_dir} --skipped")
        raise fail(f"nothing was indexed: no usable pose in the "
                   f"{counted(summary.files, 'media file')} found; the bank is empty ({where})")


def interrupted(bank_dir: str, saved: int | None, every: float) -> str:
    """What an interrupted run left: the bank as this run's last commit saved it (saved: its
    size then, if this run is known to have committed), as the last save left it, or no bank."""
    from movemirror.bank import storage
    from movemirror.errors import BankError

    try:
        found = saved is not None or storage.bank_format(bank_dir) is not None
    except (BankError, OSError, ValueError, RuntimeError):  # a store out of reach: not known
        found = None
    if saved is not None:
        kept = (f"{bank_dir} keeps what was saved ({saved:,} poses in all at this run's last "
                "commit); the work since is done again")
    elif found is False:
        kept = (f"this run stopped before its first save (progress is saved every {every:g} "
                f"s), so {bank_dir} holds no bank yet")
    else:
        # A bank out of reach, or one whose last save may be an earlier run's or this run's:
        # a run's first commit can land just before the run hears of it (CI once saw "earlier
        # runs saved" said of a run's own commit).
        kept = (f"{bank_dir} keeps what was saved (progress is saved every {every:g} s); the "
                "work since is done again")
    return f"interrupted: {kept}: run the same command again to go on from there"


class ProgressReporter:
    """A rich progress bar: frames done of frames planned, files, frames per second, ETA."""

    saved: int | None = None  # the bank's size at this run's last commit

    def __init__(self):
        self.progress = UncutProgress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("frames"), TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=console, transient=False,
        )
        self.task = self.progress.add_task("scanning", total=None, files="", rate="")

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def scanning(self, files: int) -> None:
        self.progress.update(self.task, files=f"{files:,} files found")

    def planned(self, summary) -> None:
        files = summary.files_planned
        self.files_total = files
        self.progress.update(self.task, description="indexing", total=summary.frames_planned,
                             files=f"files 0/{files:,}")
        self.progress.reset(self.task, total=summary.frames_planned)

    def unit_done(self, result, summary) -> None:
        elapsed = self.progress.tasks[0].elapsed or 0.0
        rate = summary.frames / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=summary.frames_progress,
                             files=f"files {summary.files_done:,}/{self.files_total:,}",
                             rate=f"{rate:.1f} fps")

    def committed(self, bank_entries: int) -> None:
        self.saved = bank_entries
        self.progress.update(self.task, description=f"indexing ({bank_entries:,} saved)")


class LogReporter:
    """Progress for a log: one plain line when the work is planned, then one at most every
    `every` seconds (a progress bar redrawn into a file would be thousands of lines)."""

    saved: int | None = None  # the bank's size at this run's last commit

    def __init__(self, every: float = LOG_PROGRESS_SECONDS, clock=time.monotonic):
        self.every = every
        self.clock = clock
        self.last = clock()
        self.started = self.last
        self.files_total = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def _due(self) -> bool:
        now = self.clock()
        if now - self.last < self.every:
            return False
        self.last = now
        return True

    def scanning(self, files: int) -> None:
        if self._due():
            console.print(f"scanning: {files:,} files found", highlight=False)

    def planned(self, summary) -> None:
        self.files_total = summary.files_planned
        self.started = self.last = self.clock()
        console.print(f"indexing: {counted(self.files_total, 'file')}, "
                      f"{counted(summary.frames_planned, 'frame')} planned "
                      f"({counted(summary.already, 'file')} already in the bank)",
                      highlight=False)

    def unit_done(self, result, summary) -> None:
        if self._due():
            elapsed = self.clock() - self.started
            rate = summary.frames / elapsed if elapsed > 0 else 0.0
            console.print(f"indexing: {summary.frames_progress:,}/{summary.frames_planned:,} "
                          f"frames, files {summary.files_done:,}/{self.files_total:,}, "
                          f"{rate:.1f} frames/s", highlight=False)

    def committed(self, bank_entries: int) -> None:
        self.saved = bank_entries


def print_summary(summary, bank_dir: str) -> None:
    console.print(
        f"[bold]{escape(str(bank_dir))}[/]: {counted(summary.entries, 'entry', 'entries')} "
        f"added from {counted(summary.files_indexed, 'file')}; the bank now holds "
        f"{summary.bank_entries:,}.", soft_wrap=True)
    console.print(
        f"engine: {summary.engine}.", soft_wrap=True, highlight=False, markup=False)
    console.print(
        f"{counted(summary.files, 'media file')} found, {summary.already:,} already in the "
        f"bank; {counted(summary.frames, 'frame')} in {summary.work_seconds:.1f} s "
        f"({summary.fps:.1f} frames/s), {counted(summary.duplicates, 'near-duplicate pose')} "
        f"dropped, {counted(sum(summary.rejected.values()), 'pose')} refused by the filters; "
        f"total {summary.seconds:.1f} s.", soft_wrap=True)
    if summary.rejected:
        console.print("refused poses: " + ", ".join(
            f"{reason} ({count:,})" for reason, count in summary.rejected.most_common()),
            soft_wrap=True, markup=False)
    if summary.skipped:
        print_skipped(summary.skipped, bank_dir)


def print_skipped(skipped: list[tuple[str, str]], bank_dir: str) -> None:
    """The skipped files with their reasons. In a log, every one on its own line (the full
    path, then the reason); on a terminal, a table with a few examples per reason."""
    title = f"{counted(len(skipped), 'file')} skipped"
    if not console.on_terminal:
        console.print(f"{title}:", highlight=False)
        for path, reason in sorted(skipped, key=lambda item: item[1]):
            console.print(f"{path}: {reason}", highlight=False, markup=False)
        return
    groups = group_by_reason(skipped)
    table = Table(title=title, title_justify="left")
    table.add_column("reason")
    table.add_column("files", justify="right")
    table.add_column("for example")
    for group in groups:
        table.add_row(Text(group.reason), f"{group.count:,}", Text("\n".join(group.examples)))
    console.print(table)
    if any(group.count > EXAMPLES_PER_REASON for group in groups):
        console.print(f"to list them all: movemirror bank info {bank_dir} --skipped (the files "
                      "read that gave no entry), or send this output to a file",
                      highlight=False, markup=False)
