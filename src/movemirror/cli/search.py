"""`movemirror search --bank DIR POSE.json|PHOTO`: the top-k poses of a bank for one pose;
`--clip CLIP.json|VIDEO` instead: the top-k windows of its tracks for a movement."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.table import Table
from rich.text import Text

from movemirror.cli.console import console, fail
from movemirror.cli.params import CLIP_OR_VIDEO, K_FLAGS, METRIC, POSE_OR_PHOTO, BankOption, N
from movemirror.cli.values import NotTaken, choice
from movemirror.distances import DEFAULT_METRIC, SEARCH_METRICS
from movemirror.errors import (
    BankError,
    DecodeError,
    ImageError,
    ModelMissingError,
    MotionError,
    PoseError,
)
from movemirror.ingest.discover import PHOTO_EXTENSIONS, SNIFF_BYTES, sniff
from movemirror.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from movemirror.motion.windows import DEFAULT_K, MOTION_METRIC, MOTION_METRICS
from movemirror.wording import counted, either

POSES_K = 10  # poses a search by one pose prints unless asked for more


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
        if "keypoints" not in data:
            keys = ", ".join(json.dumps(key) for key in data) or "none"
            raise PoseError(f'{path}: {EXPECTED_POSE} (alone, or as {{"keypoints": [...]}}); '
                            f'found a JSON object without "keypoints" (its keys: {keys})')
        data = data["keypoints"]
    return _keypoints(data, str(path))


def read_query(path: Path) -> np.ndarray:
    """The pose to search for: from a JSON pose file, or estimated in a photo (its most
    confident person, as `movemirror pose` finds them with the default model)."""
    if path.suffix.lower() not in PHOTO_EXTENSIONS and not _photo_by_content(path):
        return read_pose_file(path)
    from movemirror.pose import estimate

    poses = estimate(path)
    if not poses:
        raise PoseError(f"{path}: no person could be made out in this photo")
    return poses[0].keypoints


def _photo_by_content(path: Path) -> bool:
    """Whether the file's first bytes are a photo's (one saved without its extension), as
    `movemirror index` tells files apart."""
    try:
        with open(path, "rb") as handle:
            return sniff(handle.read(SNIFF_BYTES)) == "photo"
    except OSError:
        return False  # read_pose_file names the problem


EXPECTED_POSE = f"expected a pose: {NUM_KEYPOINTS} keypoints, each [x, y, score]"


def _keypoints(data, where: str) -> np.ndarray:
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = [[p.get("x"), p.get("y"), p.get("score", 1.0)] for p in data]
    found = _not_keypoints(data)
    if found:
        raise PoseError(f"{where}: {EXPECTED_POSE}; found {found}")
    return np.asarray(data, dtype=np.float32)


def _not_keypoints(data) -> str | None:
    """What a JSON value holds instead of 17 x [x, y, score] numbers, in words; None if it
    holds them."""
    if not isinstance(data, list):
        return _json_kind(data)
    if len(data) != NUM_KEYPOINTS:
        return f"a list of {counted(len(data), 'item')}"
    for number, (name, keypoint) in enumerate(zip(KEYPOINT_NAMES, data, strict=True), 1):
        where = f"keypoint {number} ({name})"
        if not isinstance(keypoint, list):
            return f"{where} is {_json_kind(keypoint)}"
        if len(keypoint) != 3:
            return f"{where} is a list of {counted(len(keypoint), 'number')}"
        for value in keypoint:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{where} holds {_json_kind(value)}"
    return None


def _json_kind(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a truth value)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a JSON object"
    return f"a list of {counted(len(value), 'item')}"


def read_clip_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A movement from JSON: [{"time": seconds, "keypoints": [[x, y, score] * 17]}, ...]."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MotionError(f"{path}: not a readable JSON clip: {error}") from error
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
        raise MotionError(f"{path}: a clip is a JSON list of {{\"time\": seconds, "
                          "\"keypoints\": [[x, y, score] * 17]}")
    poses, times = [], []
    for n, entry in enumerate(data):
        time = entry.get("time")
        if isinstance(time, bool) or not isinstance(time, (int, float)):
            raise MotionError(f"{path}: pose {n} has no time in seconds")
        poses.append(_keypoints(entry.get("keypoints"), f"{path}: pose {n}"))
        times.append(float(time))
    if not poses:
        raise MotionError(f"{path}: holds no pose")
    return np.stack(poses), np.asarray(times)


def read_clip(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A movement from a JSON clip, or estimated from a video (Lightning, about 10 poses a
    second)."""
    if path.suffix.lower() == ".json":
        return read_clip_file(path)
    if not path.is_file():
        raise MotionError(f"{path}: no such file")
    from movemirror.ingest.clip import video_movement

    return video_movement(path)


def search(
    bank_dir: BankOption,
    pose_file: Path | None = typer.Argument(
        None, metavar=POSE_OR_PHOTO, show_default=False,
        help="A JSON file with 17 keypoints (x, y, score), or a photo (JPEG, PNG, WebP): its "
             "most confident person's pose."),
    clip: Path | None = typer.Option(
        None, "--clip", metavar=CLIP_OR_VIDEO,
        help="Search by movement instead: a JSON list of timed poses "
             '([{"time": s, "keypoints": [\\[x, y, score] * 17]}, ...]) or a video (poses '
             "estimated about 10 times a second)."),
    k: int | None = typer.Option(None, *K_FLAGS, min=1, metavar=N, help=(
        f"How many matches (default {POSES_K}; with --clip, {DEFAULT_K}).")),
    metric: str | None = typer.Option(
        None, metavar=METRIC, callback=choice(SEARCH_METRICS),
        help=f"Distance: {either(SEARCH_METRICS)} (default {DEFAULT_METRIC}; with --clip, "
             f"{either(MOTION_METRICS)}, default {MOTION_METRIC})."),
    mirror: bool = typer.Option(False, "--mirror", help="Also match the mirrored pose."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
):
    """Print the k poses of a bank nearest to a pose, or with --clip the k windows of its
    tracks that move most like a movement."""
    from movemirror.bank import PoseBank

    metric = metric or (MOTION_METRIC if clip is not None else DEFAULT_METRIC)
    if clip is not None and metric not in MOTION_METRICS:
        raise NotTaken("--metric", f"{either(MOTION_METRICS)} with --clip", metric)
    if pose_file is not None and clip is not None:
        raise fail("give either a pose file or --clip, not both", 2)
    problem = missing_query(clip, "a clip or a video") if clip is not None else (
        missing_query(pose_file, "a pose file or a photo") if pose_file is not None else None)
    if problem:  # as `index` with a missing SOURCE: a bad argument, before the bank opens
        raise fail(problem, 2)
    if clip is not None:
        search_clip(clip, bank_dir, k or DEFAULT_K, metric, mirror, as_json)
        return
    if pose_file is None:
        raise fail("give a pose file, or --clip with a movement", 2)
    k = k or POSES_K
    try:
        query = read_query(pose_file)
        bank = PoseBank.load(bank_dir)
        result = bank.search(query, k=k, metric=metric, mirror=mirror)
    except (PoseError, BankError, ImageError, ModelMissingError) as error:
        raise fail(str(error)) from None
    rows = zip(result.distances[0], result.indices[0], result.mirrored[0], strict=True)
    matches = [
        {**bank.record(i), "rank": r + 1, "distance": float(d), "mirrored": bool(m)}
        for r, (d, i, m) in enumerate(rows)
    ]
    if as_json:
        console.print_json(json.dumps({"metric": metric, "matches": matches}, default=str))
        return
    if not len(bank):
        console.print(f"{bank_dir}: the bank holds no pose to search", markup=False,
                      highlight=False)
        return
    print_matches(matches, ("rank", "distance", "id", "source"), lambda match: (
        str(match["rank"]), f"{match['distance']:.4f}", Text(match["id"]),
        Text(str(match["source"] or ""))))


def missing_query(path: Path, expected: str) -> str | None:
    """Why path cannot be a query at all (not there, or a folder), or None."""
    if path.is_dir():
        return f"{path}: a folder, not {expected}"
    if not path.exists():
        return f"{path}: no such file"
    return None


def print_matches(matches: list[dict], columns: tuple[str, ...], cells) -> None:
    """A table of matches, cells(match) giving each row's columns, then a "mirrored" column
    when any match was found by the query's mirror image (which --mirror, or a metric that
    implies it, allows)."""
    mirrored = any(match["mirrored"] for match in matches)
    table = Table(*columns, *(("mirrored",) if mirrored else ()))
    for match in matches:
        table.add_row(*cells(match), *(("yes" if match["mirrored"] else "",) if mirrored else ()))
    console.print(table)


def search_clip(clip: Path, bank_dir: str, k: int, metric: str, mirror: bool,
                as_json: bool) -> None:
    from movemirror.bank import PoseBank

    try:
        poses, times = read_clip(clip)
        bank = PoseBank.load(bank_dir)
        found = bank.search_motion(poses, times, k=k, metric=metric, mirror=mirror)
    except DecodeError as error:  # the decoder's message does not say which file
        raise fail(f"{clip}: {error}") from None
    except (MotionError, PoseError, BankError, ModelMissingError) as error:
        raise fail(str(error)) from None
    matches = [{"rank": r + 1, "track": m.track, "source": bank.record(m.row)["source"],
                "start": m.start, "end": m.end, "speed": m.speed, "distance": m.distance,
                "mirrored": m.mirrored} for r, m in enumerate(found)]
    if as_json:
        console.print_json(json.dumps({"metric": metric, "poses": len(poses),
                                       "seconds": float(times[-1] - times[0]),
                                       "windows": matches}, default=str))
        return
    if not matches:
        console.print(f"{bank_dir}: no track of two timed poses or more to search "
                      "(a bank of photos has no movement)", markup=False, highlight=False)
        return
    print_matches(matches, ("rank", "distance", "track", "source", "start", "end", "speed"),
                  lambda match: (str(match["rank"]), f"{match['distance']:.4f}",
                                 Text(match["track"]), Text(str(match["source"] or "")),
                                 f"{match['start']:.2f} s", f"{match['end']:.2f} s",
                                 f"{match['speed']:.2f}x"))
