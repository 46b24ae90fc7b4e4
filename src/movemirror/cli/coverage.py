"""`movemirror coverage --bank DIR [--against REF] [--out report.html]`: what an archive covers
and lacks, as a self-contained HTML report and a PNG of its map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from movemirror.bank.storage import bank_format
from movemirror.cli.console import console, fail
from movemirror.cli.params import FILE, METHOD, METRIC, REF, BankOption
from movemirror.cli.search import read_pose_file
from movemirror.cli.values import choice
from movemirror.coverage.holes import COVERAGE_METRIC
from movemirror.coverage.map import METHODS
from movemirror.distances import BOX_VECTOR_METRICS
from movemirror.errors import BankError, PoseError, QueryLogError
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.vectors import pose_problems
from movemirror.wording import counted, either


def read_reference(path: Path) -> tuple[np.ndarray, list[str]]:
    """The poses of REF: a bank directory, a query log of `serve --log-queries` (its folder or
    one part), a folder of pose JSON files (the formats `search` reads) or one such file.
    Returns the poses (R, 17, 3) and, for each file or pose left out, why."""
    from movemirror.bank import PoseBank
    from movemirror.server.query_log import is_query_log, read_query_log

    if bank_format(path) is not None:
        return PoseBank.load(path).keypoints, []
    if is_query_log(path):
        return read_query_log(path).keypoints, []
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise PoseError(f"{path}: neither a bank nor a folder holding pose .json files")
    elif path.is_file():
        files = [path]
    else:
        raise PoseError(f"{path}: no such bank, folder or pose file")
    poses, left_out = [], []
    for file in files:
        try:
            poses.append(read_pose_file(file))
        except PoseError as error:
            left_out.append(str(error))
    return np.array(poses, np.float32).reshape(-1, NUM_KEYPOINTS, 3), left_out


def coverage(
    bank_dir: BankOption,
    against: Path | None = typer.Option(
        None, "--against", metavar=REF,
        help="Reference poses to find the holes with: another bank, a query log (serve "
             "--log-queries), a folder of pose JSON files, or one pose JSON file."),
    out: Path = typer.Option(Path("coverage.html"), "--out", metavar=FILE,
                             help="The HTML report; the map's PNG goes beside it (.png)."),
    metric: str = typer.Option(COVERAGE_METRIC, metavar=METRIC,
                               callback=choice(BOX_VECTOR_METRICS),
                               help=f"Distance for the holes: {either(BOX_VECTOR_METRICS)}."),
    mirror: bool = typer.Option(False, "--mirror",
                                help="Fold mirrored poses together: a pose and its mirror "
                                     "image take one place on the map, and holes are sought "
                                     "with mirrored matches."),
    map_method: str | None = typer.Option(
        None, "--map", metavar=METHOD, callback=choice(METHODS),
        help=f"How to draw the map: {either(METHODS)} (default: umap where umap-learn is "
             "installed)."),
):
    """Write a report of what a bank covers: a map of its poses, its crowds of near-identical
    poses, how often each keypoint is seen and, with --against, its holes."""
    from movemirror.bank import PoseBank
    from movemirror.coverage.analysis import analyse
    from movemirror.coverage.holes import hole_sentence, holes_rule
    from movemirror.coverage.report import map_png, report_html

    if out.is_dir():  # found now, not after minutes of mapping
        raise fail(f"--out {out} is a folder; give the report's file name, e.g. "
                   f"{out / 'coverage.html'}", 2)
    if out.suffix.lower() == ".png":
        raise fail(f"--out is the HTML report and its map goes beside it as .png: {out} would "
                   f"be both; name the report .html", 2)
    try:
        bank = PoseBank.load(bank_dir)
        reference, left_out = read_reference(against) if against is not None else (None, [])
    except (BankError, PoseError, QueryLogError) as error:
        raise fail(str(error)) from None
    if len(bank) < 3:
        raise fail(f"{bank_dir}: a coverage map needs at least 3 poses, the bank holds "
                   f"{len(bank)}")
    if reference is not None:
        problems = pose_problems(reference)
        left_out += [f"reference pose {i}: {p}" for i, p in enumerate(problems) if p]
        reference = reference[[p is None for p in problems]]
    for reason in left_out:  # before the error below, which they explain
        console.print(f"left out: {reason}", markup=False, highlight=False)
    if reference is not None and not len(reference):
        raise fail(f"{against}: no usable reference pose")
    try:
        result = analyse(bank, reference, metric=metric, mirror=mirror, map_method=map_method)
    except PoseError as error:  # a pose another metric cannot measure
        raise fail(str(error)) from None
    png = map_png(result)  # the PNG beside the report has its labels; the report, as text
    name = bank_dir.rstrip("/").rsplit("/", 1)[-1] or bank_dir
    page = report_html(result, bank, f"Coverage of {name}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        out.with_suffix(".png").write_bytes(png)
    except OSError as error:
        raise fail(f"cannot write the report: {error}") from None
    _say(f"{counted(len(bank), 'pose')}; map by {result.map.method}; "
         f"{counted(len(result.crowds.crowds), 'crowd')} "
         f"(up to {result.crowds.redundant_share:.1%} near-duplicates)")
    if result.holes is not None and result.reference is not None:
        holes, total = result.holes, len(result.reference)
        _say(f"holes: {holes.count} of {total} reference poses. {holes_rule(holes, mirror)}")
        for n, group in enumerate(holes.groups, 1):
            _say(f"  H{n}: {hole_sentence(group, total)}")
    _say(f"report: {out}")
    _say(f"map: {out.with_suffix('.png')}")


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)
