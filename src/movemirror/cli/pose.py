"""`movemirror pose IMAGE...`: the keypoints of the people in photos."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from movemirror.cli.choices import models_help, modes_help
from movemirror.cli.console import console, errors, fail
from movemirror.cli.params import IMAGE, MODE, MODEL, PATH, SCORE, N
from movemirror.cli.values import choice
from movemirror.pose import DEFAULT_MODE, DEFAULT_MODEL, MODELS, MODES
from movemirror.pose.multipose import MAX_PEOPLE
from movemirror.wording import counted


def pose(
    images: list[Path] = typer.Argument(..., metavar=IMAGE,
                                        help="Image files (JPEG, PNG, WebP, ...)."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", metavar=MODEL, help=models_help(),
                              callback=choice(MODELS)),
    mode: str = typer.Option(DEFAULT_MODE, metavar=MODE, help=modes_help(),
                             callback=choice(MODES)),
    max_people: int = typer.Option(1, "--max-people", min=1, max=MAX_PEOPLE, metavar=N,
                                   help="Find up to this many people (MultiPose finds them)."),
    min_score: float | None = typer.Option(None, "--min-score", min=0.0, max=1.0, metavar=SCORE,
                                           help="Pose score below which no pose is reported."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per image."),
    draw: Path | None = typer.Option(None, "--draw", metavar=PATH,
                                     help="Draw the skeletons on the image into this PNG "
                                          "(with several images: a folder)."),
    threads: int | None = typer.Option(None, min=1, metavar=N, help="ONNX Runtime threads."),
):
    """Estimate poses; print keypoints (a table, or JSON with --json) and optionally draw them."""
    from movemirror.pose import ImageError, ModelMissingError, PoseEstimator
    from movemirror.pose.draw import draw_poses
    from movemirror.pose.image import load_image

    estimator = PoseEstimator(model, mode=mode, threads=threads)
    try:
        estimator.load()
    except ModelMissingError as error:
        raise fail(str(error)) from None
    failed = 0
    for path in images:
        try:
            poses = estimator.estimate(path, max_people=max_people, min_pose_score=min_score)
            loaded = load_image(path) if draw else None
        except ImageError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
            failed += 1
            continue
        size = _image_size(path)
        result = {
            "image": str(path),
            "width": size[0],
            "height": size[1],
            "model": model,
            "mode": mode,
            "poses": [p.to_dict() for p in poses],
        }
        if as_json:
            console.print(json.dumps(result), markup=False, highlight=False, emoji=False,
                          soft_wrap=True)
        else:
            _print_table(result)
        if draw and loaded is not None:
            out = draw if len(images) == 1 else draw / f"{path.stem}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            # Draw on the (possibly downscaled) loaded image, in its own pixels.
            scale = 1.0 / loaded.scale
            shown = [p.keypoints * [scale, scale, 1.0] for p in poses]
            boxes = [(x0 * scale, y0 * scale, x1 * scale, y1 * scale)
                     for x0, y0, x1, y1 in (p.box for p in poses)] if max_people > 1 else None
            picture = draw_poses(loaded.image, shown, boxes=boxes)
            picture.save(out)
            (errors if as_json else console).print(f"drew {counted(len(poses), 'pose')} into {out}",
                                                   markup=False)
    if failed:
        raise typer.Exit(1)


def _image_size(path: Path) -> tuple[int, int]:
    from movemirror.pose.image import open_image

    with open_image(path) as img:  # held to the limit the estimate read it under
        orientation = img.getexif().get(0x0112, 1)
        w, h = img.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _print_table(result: dict) -> None:
    if not result["poses"]:
        console.print(f"{result['image']}: no pose found", markup=False)
        return
    for i, p in enumerate(result["poses"], 1):
        table = Table(title=f"{escape(result['image'])}: person {i}, score {p['score']:.2f}, "
                            f"box {', '.join(f'{v:.0f}' for v in p['box'])}")
        for column in ("keypoint", "x", "y", "score"):
            table.add_column(column, justify="left" if column == "keypoint" else "right")
        for k in p["keypoints"]:
            table.add_row(k["name"], f"{k['x']:.1f}", f"{k['y']:.1f}", f"{k['score']:.2f}")
        console.print(table)
