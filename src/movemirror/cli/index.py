"""`movemirror index SOURCE... --bank DIR`: add the poses of photos and videos to a bank."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from movemirror.cli.console import console, fail


def index(
    sources: list[Path] = typer.Argument(..., help="Photos, videos or folders (recursive)."),
    bank_dir: Path = typer.Option(..., "--bank", help="The bank to create or add to."),
    model: str = typer.Option("thunder", help="Pose model: thunder, lightning, multipose, "
                                               "blazepose-full or blazepose-heavy."),
    mode: str = typer.Option(
        "crop", help="Estimator mode: 'fast' (1 pass a person), 'crop' (MoveNet's 2 passes: "
                     "the default), 'accurate' (mirrored and turned crops, up to 17 passes: "
                     "several times slower; for a small archive of acrobatics) or 'best' "
                     "(accurate plus BlazePose Heavy: slower still)."),
    every_ms: int = typer.Option(200, "--every-ms", min=1,
                                 help="Sample videos every this many milliseconds."),
    min_score: float = typer.Option(0.25, "--min-score", help="Minimum pose score."),
    min_keypoints: int = typer.Option(10, "--min-keypoints", min=0, max=17,
                                      help="Minimum confident keypoints (score >= 0.2)."),
    full_body: bool = typer.Option(True, "--full-body/--any-body",
                                   help="Keep only people seen from head to ankle."),
    min_size: float = typer.Option(0.25, "--min-size", min=0.0,
                                   help="Minimum person height (or width) as a fraction of "
                                        "the frame's shorter side."),
    largest_only: bool = typer.Option(False, "--largest-only",
                                      help="Keep only the largest person of each frame."),
    max_people: int = typer.Option(6, "--max-people", min=1, help="People per frame at most."),
    dedup: float = typer.Option(0.08, "--dedup", min=0.0,
                                help="Drop a video pose closer than this (cosine distance) to "
                                     "the last one kept for that person; 0 keeps all."),
    thumb: str = typer.Option("person", help="Thumbnail: 'person' (a crop) or 'frame'."),
    thumb_size: int = typer.Option(480, "--thumb-size", min=64, help="Thumbnail longest side."),
    attribution: list[Path] = typer.Option([], "--attribution", help="CSV or JSON mapping "
                                           "files to credit and licence lines (repeatable)."),
    workers: int = typer.Option(0, "--workers", min=0, help="Worker processes (0: one per core)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Start the bank over."),
    commit_every: float = typer.Option(10.0, "--commit-every", min=0.0,
                                       help="Save progress at least this often (seconds)."),
):
    """Find the poses in photos and videos and add them to a bank.

    Re-running adds only what is new; an interrupted run resumes where it stopped.
    """
    from movemirror.errors import AttributionError, IngestError, ModelMissingError
    from movemirror.ingest.attribution import Attribution
    from movemirror.ingest.pool import default_workers
    from movemirror.ingest.quality import QualityFilter
    from movemirror.ingest.run import run_index
    from movemirror.ingest.work import Settings
    from movemirror.pose import MODES

    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}", 2)
    if thumb not in ("person", "frame"):
        raise fail("--thumb must be 'person' or 'frame'", 2)
    try:
        credits = Attribution.load(attribution)
    except AttributionError as error:
        raise fail(str(error), 2) from None
    settings = Settings(
        model=model, mode=mode, every_ms=every_ms, largest_only=largest_only, max_people=max_people,
        dedup=dedup, thumb=thumb, thumb_size=thumb_size,
        quality=QualityFilter(min_pose_score=min_score, min_keypoints=min_keypoints,
                              full_body=full_body, min_person_size=min_size),
    )
    reporter = ProgressReporter()
    try:
        with reporter:
            summary = run_index(sources, bank_dir, settings, workers=workers or default_workers(),
                                rebuild=rebuild, attribution=credits, commit_every=commit_every,
                                reporter=reporter)
    except (IngestError, ModelMissingError) as error:
        raise fail(str(error)) from None
    print_summary(summary, bank_dir)


class ProgressReporter:
    """A rich progress bar: frames done of frames planned, files, frames per second, ETA."""

    def __init__(self):
        self.progress = Progress(
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
        files = summary.files - summary.already
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
        self.progress.update(self.task, description=f"indexing ({bank_entries:,} saved)")


def print_summary(summary, bank_dir: Path) -> None:
    console.print(
        f"[bold]{bank_dir}[/]: {summary.entries:,} entries added from "
        f"{summary.files_indexed:,} files; the bank now holds {summary.bank_entries:,}.",
        soft_wrap=True)
    console.print(
        f"{summary.files:,} media files found, {summary.already:,} already in the bank; "
        f"{summary.frames:,} frames in {summary.work_seconds:.1f} s ({summary.fps:.1f} frames/s), "
        f"{summary.duplicates:,} near-duplicate poses dropped, "
        f"{sum(summary.rejected.values()):,} poses refused by the filters; "
        f"total {summary.seconds:.1f} s.", soft_wrap=True)
    if summary.rejected:
        console.print("refused poses: " + ", ".join(
            f"{reason} ({count:,})" for reason, count in summary.rejected.most_common()),
            soft_wrap=True)
    if summary.skipped:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for path, reason in summary.skipped:
            by_reason[reason].append(path)
        table = Table(title=f"{len(summary.skipped):,} files skipped", title_justify="left")
        table.add_column("reason", overflow="fold")
        table.add_column("files", justify="right")
        table.add_column("for example", overflow="fold")
        for reason, paths in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            table.add_row(reason, f"{len(paths):,}", "\n".join(paths[:2]))
        console.print(table)
