"""`movemirror search --bank DIR POSE.json`: the top-k poses of a bank for one pose."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.table import Table
from rich.text import Text

from movemirror.cli.console import console, fail
from movemirror.distances import DEFAULT_METRIC, METRICS, check_metric
from movemirror.errors import BankError, PoseError, UnknownMetricError


def read_pose_file(path: Path) -> np.ndarray:
    """A pose from JSON: [[x, y, score] * 17], {"keypoints": ...}, or a `movemirror pose` result.

    Keypoints may also be objects with x, y and score fields, as TF.js's pose-detection gives.
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoseError(f"{path}: not a readable JSON pose: {error}") from error
    if isinstance(data, dict) and "poses" in data:  # output of `movemirror pose --json`
        poses = data["poses"]
        if not poses:
            raise PoseError(f"{path}: holds no pose")
        data = poses[0]
    if isinstance(data, dict):
        data = data.get("keypoints")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = [[p.get("x"), p.get("y"), p.get("score", 1.0)] for p in data]
    try:
        pose = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise PoseError(f"{path}: keypoints must be numbers: {error}") from error
    if pose.shape != (17, 3):
        raise PoseError(f"{path}: expected 17 keypoints of (x, y, score), got shape {pose.shape}")
    return pose


def search(
    pose_file: Path = typer.Argument(..., help="A JSON file with 17 keypoints (x, y, score)."),
    bank_dir: Path = typer.Option(..., "--bank", help="The bank directory."),
    k: int = typer.Option(10, "-k", min=1, help="How many matches."),
    metric: str = typer.Option(DEFAULT_METRIC, help=f"Distance: {' or '.join(METRICS)}."),
    mirror: bool = typer.Option(False, "--mirror", help="Also match the mirrored pose."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
):
    """Print the k poses of a bank nearest to a pose."""
    from movemirror.bank import PoseBank

    try:
        check_metric(metric)
    except UnknownMetricError as error:
        raise fail(str(error), 2) from None
    try:
        query = read_pose_file(pose_file)
        bank = PoseBank.load(bank_dir)
        result = bank.search(query, k=k, metric=metric, mirror=mirror)
    except (PoseError, BankError) as error:
        raise fail(str(error)) from None
    rows = zip(result.distances[0], result.indices[0], result.mirrored[0], strict=True)
    matches = [
        {**bank.record(i), "rank": r + 1, "distance": float(d), "mirrored": bool(m)}
        for r, (d, i, m) in enumerate(rows)
    ]
    if as_json:
        console.print_json(json.dumps({"metric": metric, "matches": matches}, default=str))
        return
    table = Table("rank", "distance", "id", "source", "mirrored" if mirror else "")
    for match in matches:
        table.add_row(str(match["rank"]), f"{match['distance']:.4f}", Text(match["id"]),
                      Text(str(match["source"] or "")), "yes" if match["mirrored"] else "")
    console.print(table)
