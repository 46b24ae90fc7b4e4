"""`movemirror bench quality-video`: does a steadier query pose pick better matches on video?

The query is TF.js's test clip (pose_1.mp4, 30 fps); its per-frame reference keypoints stand
for the true pose of each frame. Each frame's pose is estimated as the page does (MoveNet
Lightning, crop mode) and searched raw, through the page's one-euro filter, or as the
consensus of the last few frames (movemirror.quality.smoothing). As on the page, a frame the
page would not match gets no match and restarts the smoothing.

The archive is LSPET photos 1-4000: searched by their ingestion estimates (as `make demo`
indexes them; the quality benchmark's cache), judged by their true poses with the quality
benchmark's two judges, as the fraction of the random-to-oracle gap the top match closes.
Also measured: how often the top match changes from one answered frame to the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from movemirror.bench.machine import machine_info
from movemirror.bench.quality_judged import JUDGES, chosen_scores, judge_all
from movemirror.bench.quality_matches import top_matches
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.bench.quality_side_poses import archive_poses, page_would_match, truth_pose
from movemirror.quality.gap import gap_closed
from movemirror.quality.smoothing import consensus_poses, one_euro_poses

Report = Callable[[str], None]
FPS = 30.0  # pose_1.mp4's frame rate (its README)
VARIANTS: tuple[str, ...] = ("raw", "one-euro", "consensus-3", "consensus-5")


@dataclass
class VideoPlan:
    archive: tuple[int, int] = (0, 4000)  # LSPET dataset indices [start, stop)
    archive_side: str = ARCHIVE_SIDE
    frames: int = 120  # the clip's first N frames
    metric: str = "cosine"
    variants: tuple[str, ...] = VARIANTS


def smooth(variant: str, poses: np.ndarray, times: np.ndarray, width: float,
           height: float) -> np.ndarray:
    """One run of consecutive matched frames' poses, as the variant searches them."""
    if variant == "raw":
        return poses.copy()
    if variant == "one-euro":
        return one_euro_poses(poses, times, width, height).astype(np.float32)
    if variant.startswith("consensus-"):
        return consensus_poses(poses, int(variant.split("-")[1])).astype(np.float32)
    raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")


def runs_of(matched: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) runs of consecutive True frames."""
    out, start = [], None
    for f, ok in enumerate([*matched, False]):
        if ok and start is None:
            start = f
        elif not ok and start is not None:
            out.append((start, f))
            start = None
    return out


def variant_queries(variant: str, raw: np.ndarray, matched: np.ndarray, width: float,
                    height: float) -> np.ndarray:
    """(frames, 17, 3) query poses; rows of unmatched frames are left as they were."""
    out = raw.copy()
    times = np.arange(len(raw)) / FPS
    for start, stop in runs_of(matched):
        out[start:stop] = smooth(variant, raw[start:stop], times[start:stop], width, height)
    return out


def changes(top: np.ndarray) -> tuple[int, int]:
    """(times the top match differs from the previous frame's, consecutive answered pairs)."""
    pairs = [(a, b) for a, b in zip(top[:-1], top[1:], strict=True) if a >= 0 and b >= 0]
    return sum(a != b for a, b in pairs), len(pairs)


@dataclass
class VariantResult:
    variant: str
    answered: int
    gap: dict[str, float]  # judge -> fraction of the gap the top match closes
    top_changes: int
    answered_pairs: int
    change_rate: float


def estimate_frames(frames: list[np.ndarray]) -> np.ndarray:
    """MoveNet Lightning, crop mode, per frame (as the page): (frames, 17, 3); an all-zero
    pose where nobody is found."""
    from movemirror.pose import PoseEstimator

    estimator = PoseEstimator("lightning", mode="crop")
    out = np.zeros((len(frames), 17, 3), np.float32)
    for f, frame in enumerate(frames):
        poses = estimator.estimate(frame, min_pose_score=0.0)
        if poses:
            out[f] = poses[0].keypoints
    return out


def run(plan: VideoPlan, report: Report) -> dict:
    from movemirror.bench.quality_poses import Side, estimate_side
    from movemirror.datasets import dataset_dir
    from movemirror.datasets.lspet import load_lspet
    from movemirror.datasets.tfjs_reference import load_reference_keypoints, read_video_frames

    started = time.perf_counter()
    folder = dataset_dir("tfjs-pose-detection-testdata")
    reference = load_reference_keypoints(folder / "pose_1.json")[: plan.frames]
    frames = read_video_frames(folder / "pose_1.mp4")[: plan.frames]
    height, width = frames[0].shape[:2]
    truths_q = np.concatenate([reference, np.ones((*reference.shape[:2], 1), np.float32)], 2)
    raw = estimate_frames(frames)
    matched = np.array([page_would_match(p) for p in raw])
    report(f"clip: {len(frames)} frames, {int(matched.sum())} the page would match")

    samples = load_lspet(dataset_dir("lspet"), limit=plan.archive[1] - plan.archive[0],
                         start=plan.archive[0])
    truths = {int(s.path.stem[2:]) - 1: s.joints for s in samples}
    paths = {int(s.path.stem[2:]) - 1: s.path for s in samples}
    archive_ids = [i for i in range(*plan.archive) if i in truths]
    side = Side.parse(plan.archive_side)
    estimates = None
    if side.source != "truth":
        estimates = estimate_side(side, [(i, paths[i]) for i in archive_ids], 1, report)
    present, archive = archive_poses(side, estimates, truths, archive_ids)
    archive_truths = np.stack([truth_pose(truths[i]) for i in archive_ids])
    judged = judge_all(truths_q, archive_truths)
    column = np.array([archive_ids.index(p) for p in present])
    report(f"archive: LSPET {len(archive_ids)} photos, {len(present)} searchable ({side})")

    results = []
    for variant in plan.variants:
        queries = variant_queries(variant, raw, matched, width, height)
        top = np.full((len(queries), 1), -1, np.int64)
        if matched.any() and len(archive):
            rows, _ = top_matches(plan.metric, queries[matched], archive, 1, False)
            top[matched] = np.where(rows >= 0, column[rows], -1)
        gap = {}
        for name in JUDGES:
            chosen = chosen_scores(judged, name, truths_q, archive_truths, top,
                                   np.zeros_like(top, bool), 1)
            gap[name] = gap_closed(judged.random[name], judged.oracle[name], chosen)
        changed, pairs = changes(top[:, 0])
        results.append(VariantResult(variant, int((top[:, 0] >= 0).sum()), gap, changed, pairs,
                                     changed / pairs if pairs else float("nan")))
        report(f"{variant}: limb {gap['limb']:.3f} joint {gap['joint']:.3f}, top match "
               f"changes {changed}/{pairs}")
    return {
        "plan": asdict(plan),
        "machine": machine_info(),
        "query": "pose_1.mp4 (TF.js test clip), MoveNet Lightning crop per frame; truth = "
                 "pose_1.json reference keypoints",
        "results": [asdict(r) for r in results],
        "seconds": time.perf_counter() - started,
    }


def table(results: dict):
    from rich.table import Table

    t = Table(title="Query smoothing on video (pose_1.mp4): fraction of the random-to-oracle "
                    "gap closed by the top match, and how often the top match changes")
    t.add_column("query pose")
    for name in ("answered", "limb", "joint", "top match changes"):
        t.add_column(name, justify="right")
    for r in results["results"]:
        t.add_row(r["variant"], str(r["answered"]), f"{r['gap']['limb']:.3f}",
                  f"{r['gap']['joint']:.3f}",
                  f"{r['top_changes']}/{r['answered_pairs']} ({r['change_rate']:.2f})")
    return t
