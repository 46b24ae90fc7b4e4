"""`movemirror bench pose`: accuracy and speed of every pose model and mode on real data.

- PCK@0.2 on LSPET (12 body joints; torso = right shoulder to left hip), per model and mode.
- OKS keypoint AP on COCO's own person keypoint annotations (coco-mini), multi-person path.
- Agreement with TF.js: mean pixel distance to tfjs-models' keypoints for pose_1.mp4.
- Speed: images per second end to end (decode, crop, inference) on this machine's cores,
  next to the raw inference time of one model call.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from movemirror.bench.machine import machine_info
from movemirror.datasets import dataset_dir

# The modes were tuned on LSPET's first 1,000 photos; the default benchmark slice is the rest.
TUNING_PHOTOS = 1000
# PCK is also given as a ratio to this run's: the reference figures were measured
# against one pass of Thunder over the whole photo.
BASELINE = ("thunder", "fast")

SINGLE_RUNS: tuple[tuple[str, str], ...] = (
    ("lightning", "fast"),
    ("lightning", "crop"),
    ("lightning", "accurate"),
    ("thunder", "fast"),
    ("thunder", "crop"),
    ("thunder", "accurate"),
    ("thunder", "best"),
    ("blazepose-full", "crop"),
    ("blazepose-heavy", "crop"),
    ("posenet", "fast"),
    ("posenet", "crop"),
    ("multipose", "fast"),
)


PARTS = ("speed", "pck", "coco", "tfjs")  # the measurements, each of which a run may leave out


@dataclass
class Plan:
    lspet_start: int = TUNING_PHOTOS
    lspet_count: int = 5000
    runs: tuple[tuple[str, str], ...] = SINGLE_RUNS
    speed_images: int = 400
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    pck: bool = True
    coco: bool = True
    tfjs: bool = True


Report = Callable[[str], None]


def lspet_pck(model: str, mode: str, samples, workers: int) -> dict:
    from movemirror.keypoints import MIRROR_PERMUTATION
    from movemirror.pose import PoseEstimator
    from movemirror.pose.metrics import pck_hits

    estimator = PoseEstimator(model, mode=mode, threads=1)
    hits = total = not_found = either_side = 0
    start = time.perf_counter()
    results = estimator.estimate_many((s.path for s in samples), workers=workers)
    for sample, poses in zip(samples, results, strict=True):
        if isinstance(poses, Exception):
            raise poses
        found = poses[0].keypoints if poses else None
        not_found += found is None
        # PCK scores the best guess even when it is below the not-found threshold.
        if found is None:
            guess = estimator.estimate(sample.path, min_pose_score=0.0)
            found = guess[0].keypoints if guess else None
        h, t = pck_hits(found, sample.joints)
        hits, total = hits + h, total + t
        # LSPET's crowd-sourced labels swap left and right on some photos; this count forgives
        # that (context for the figures, not the measure itself).
        swapped = None if found is None else found[list(MIRROR_PERMUTATION)]
        either_side += max(h, pck_hits(swapped, sample.joints)[0])
    seconds = time.perf_counter() - start
    return {
        "model": model,
        "mode": mode,
        "pck": hits / max(total, 1),
        "pck_either_side": either_side / max(total, 1),
        "photos": len(samples),
        "joints": total,
        "not_found": not_found,
        "seconds": seconds,
    }


def coco_ap(runs: list[tuple[str, str, int]], report: Report) -> list[dict]:
    from movemirror.datasets.coco import load_coco_keypoints
    from movemirror.pose import PoseEstimator
    from movemirror.pose.metrics import coco_keypoint_ap

    root = dataset_dir("coco-mini")
    images = load_coco_keypoints(
        root / "annotations" / "person_keypoints_train2017.json", root / "train2017"
    )
    out = []
    for model, mode, people in runs:
        estimator = PoseEstimator(model, mode=mode)
        pairs = []
        for img in images:
            poses = estimator.estimate(img.path, max_people=people, min_pose_score=0.1)
            pairs.append(([(p.keypoints, p.score) for p in poses], list(img.people)))
        result = {"model": model, "mode": mode, "max_people": people, **coco_keypoint_ap(pairs),
                  "images": len(images)}
        report(f"COCO OKS AP {model}/{mode}: {result['AP']:.3f} (AP50 {result['AP50']:.3f})")
        out.append(result)
    return out


def tfjs_agreement(runs: list[tuple[str, str]], report: Report) -> list[dict]:
    from PIL import Image

    from movemirror.datasets.tfjs_reference import load_reference_keypoints, read_video_frames
    from movemirror.pose import PoseEstimator
    from movemirror.pose.crops import full_frame, movenet_crop
    from movemirror.pose.movenet import MoveNet
    from movemirror.pose.registry import get_spec
    from movemirror.pose.session import create_session

    folder = dataset_dir("tfjs-pose-detection-testdata")
    reference = load_reference_keypoints(folder / "pose_1.json")
    frames = read_video_frames(folder / "pose_1.mp4")
    out = []
    for model, mode in runs:
        estimator = PoseEstimator(model, mode=mode)
        errors = []
        for frame, truth in zip(frames, reference, strict=True):
            poses = estimator.estimate(frame, min_pose_score=0.0)
            errors.append(np.linalg.norm(poses[0].keypoints[:, :2] - truth, axis=1).mean())
        out.append({"model": model, "mode": mode, "mean_px": float(np.mean(errors)),
                    "max_px": float(np.max(errors)), "frames": len(frames)})
        report(f"TF.js agreement {model}/{mode}: {np.mean(errors):.2f} px mean")
    # TF.js's own video mode: each frame cropped around the previous frame's keypoints.
    for model in ("lightning", "thunder"):
        net = MoveNet(create_session(model), get_spec(model).input_size)
        crop, errors = None, []
        for frame, truth in zip(frames, reference, strict=True):
            image = Image.fromarray(frame)
            crop = crop or full_frame(image.width, image.height)
            keypoints = net.infer(image, crop)
            crop = movenet_crop(keypoints, image.width, image.height)
            errors.append(np.linalg.norm(keypoints[:, :2] - truth, axis=1).mean())
        out.append({"model": model, "mode": "video (TF.js tracking crop)",
                    "mean_px": float(np.mean(errors)), "max_px": float(np.max(errors)),
                    "frames": len(frames)})
        report(f"TF.js agreement {model}/video: {np.mean(errors):.2f} px mean")
    return out


def raw_inference_ms(model: str, threads: int, repeats: int = 200) -> float:
    from movemirror.pose.registry import get_spec
    from movemirror.pose.session import create_session

    session = create_session(model, threads)
    size = get_spec(model).input_size
    feed = np.zeros((1, size, size, 3), np.int32)
    name = session.get_inputs()[0].name
    for _ in range(10):
        session.run(None, {name: feed})
    start = time.perf_counter()
    for _ in range(repeats):
        session.run(None, {name: feed})
    return (time.perf_counter() - start) / repeats * 1000


def speed(model: str, mode: str, paths: list[Path], workers: int) -> dict:
    from movemirror.pose import PoseEstimator

    estimator = PoseEstimator(model, mode=mode, threads=1).load()
    list(estimator.estimate_many(paths[:20], workers=workers))  # warm up
    start = time.perf_counter()
    results = list(estimator.estimate_many(paths, workers=workers))
    seconds = time.perf_counter() - start
    assert not any(isinstance(r, Exception) for r in results)
    return {"model": model, "mode": mode, "images_per_second": len(paths) / seconds,
            "images": len(paths), "workers": workers}


def run(plan: Plan, report: Report) -> dict:
    from movemirror.datasets.lspet import load_lspet

    lspet = load_lspet(dataset_dir("lspet"), limit=plan.lspet_count, start=plan.lspet_start)
    results: dict = {"plan": asdict(plan), "machine": machine_info()}
    if plan.speed_images:
        repeats = max(20, min(200, plan.speed_images // 2))  # a quick run stays quick
        results["raw_inference_ms"] = [
            {"model": m, "threads": t, "ms": raw_inference_ms(m, t, repeats)}
            for m in ("lightning", "thunder") for t in (1, plan.workers)
        ]
        for r in results["raw_inference_ms"]:
            report(f"raw inference {r['model']} ({r['threads']} threads): {r['ms']:.1f} ms")
        paths = [s.path for s in lspet[: plan.speed_images]]
        results["speed"] = []
        for model, mode in plan.runs:
            r = speed(model, mode, paths, plan.workers)
            results["speed"].append(r)
            report(f"speed {model}/{mode}: {r['images_per_second']:.1f} images/s")
    results["lspet_pck"] = []
    for model, mode in plan.runs if plan.pck else ():
        r = lspet_pck(model, mode, lspet, plan.workers)
        results["lspet_pck"].append(r)
        report(f"LSPET PCK@0.2 {model}/{mode}: {r['pck']:.4f} on {r['photos']} photos "
               f"({r['seconds']:.0f} s; {r['pck_either_side']:.4f} forgiving left/right swaps)")
    baseline = next((r for r in results["lspet_pck"] if (r["model"], r["mode"]) == BASELINE), None)
    if baseline is not None:
        for r in results["lspet_pck"]:
            r["vs_one_pass_thunder"] = r["pck"] / baseline["pck"]
    if plan.coco:
        results["coco_oks_ap"] = coco_ap(
            [("multipose", "fast", 6), ("lightning", "crop", 6), ("thunder", "crop", 6),
             ("thunder", "accurate", 6), ("thunder", "best", 6)],
            report,
        )
    if plan.tfjs:
        results["tfjs_agreement"] = tfjs_agreement(
            [("lightning", "fast"), ("lightning", "crop"), ("thunder", "fast"),
             ("thunder", "crop"), ("thunder", "accurate"), ("thunder", "best"),
             ("blazepose-heavy", "crop")],
            report,
        )
    return results


def table(results: dict):
    from rich.table import Table

    out = Table(title="movemirror bench pose")
    for column in ("model", "mode", "LSPET PCK@0.2", "x one-pass Thunder", "images/s",
                   "TF.js px"):
        out.add_column(column, justify="left" if column in ("model", "mode") else "right",
                       no_wrap=column in ("model", "mode"))
    speeds = {(r["model"], r["mode"]): r["images_per_second"] for r in results.get("speed", [])}
    tfjs = {(r["model"], r["mode"]): r["mean_px"] for r in results.get("tfjs_agreement", [])}
    pck = {(r["model"], r["mode"]): r for r in results.get("lspet_pck", [])}
    for model, mode in results["plan"]["runs"]:
        key = (model, mode)
        ratio = pck[key].get("vs_one_pass_thunder") if key in pck else None
        out.add_row(model, mode, f"{pck[key]['pck']:.3f}" if key in pck else "",
                    f"{ratio:.2f}" if ratio else "",
                    f"{speeds[key]:.1f}" if key in speeds else "",
                    f"{tfjs[key]:.2f}" if key in tfjs else "")
    return out


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
