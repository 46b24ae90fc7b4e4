"""Estimated poses for the quality benchmark, each computed once and cached on disk.

A side says how one side's poses (the archive's or the queries') come about:
- "truth": the annotation itself (score 1 where annotated, 0 elsewhere);
- "single:<model>:<mode>": PoseEstimator(model, mode) on the photo, one person, whatever its
  score (the page decides what it matches, see bench.quality_side_poses.page_would_match);
- "ingest:<model>:<mode>": ingestion's own per-photo work (movemirror.ingest.work.process_unit
  with its default Settings but this model and mode): MultiPose, crop refinement, the quality
  filter; zero or more kept entries per photo;
- "page:<blazepose model>:<mode>": BlazePose as the page runs it on a still: MoveNet Lightning
  (in that mode) finds the body, and where the page would match its pose BlazePose takes over
  from it (two passes); elsewhere Lightning's pose stands, as the page shows it.
  (PoseEstimator seeds BlazePose with Thunder instead.)
Query sides only, fusing others' poses (movemirror.pose.fuse, each member's pose counting
only where the page would match it):
- "<single or page side>+flip": that side run on the photo and on its mirror image (the
  keypoints mapped back, left and right swapped), the two fused (flip test-time augmentation);
  the mirror image's run is cached as its own side;
- "ensemble:<side>,<side>[,<side>]": two or three query sides (each may be +flip) fused.

The cache lives in movemirror.datasets.cache_dir()/quality-cache, one .npz per side and
settings (keyed by a hash of the settings and the model folder), holding every photo done so
far; an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import ImageOps

from movemirror.errors import SpecError
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.wording import either

Report = Callable[[str], None]
SAVE_EVERY = 200  # photos between cache writes
CACHE_VERSION = 1
# The model the page seeds BlazePose with (static/js/detector.js, MODELS[...].seed).
PAGE_SEED_MODEL = "lightning"


FLIP = "+flip"
ENSEMBLE = "ensemble:"
MAX_MEMBERS = 3
# A run on the mirrored photo, keypoints mapped back (a cached side of its own).
MIRRORED = "+mirrored-photo"
ARCHIVE_SHAPE = "truth, single:MODEL:MODE, ingest:MODEL:MODE or page:BLAZEPOSE_MODEL:MODE"
QUERY_SHAPE = (f"{ARCHIVE_SHAPE}; or SIDE+flip (a single or page side) or "
               f"ensemble:SIDE,SIDE[,SIDE] (2 to {MAX_MEMBERS} query sides)")


@dataclass(frozen=True)
class Side:
    # "truth", "single", "ingest" or "page"; fused from `members`: "flip" or "ensemble"
    source: str
    model: str = ""
    mode: str = ""
    mirrored: bool = False  # run on the photo's mirror image, keypoints mapped back
    members: tuple[Side, ...] = ()

    @property
    def fused(self) -> bool:
        return self.source in ("flip", "ensemble")

    def leaves(self) -> tuple[Side, ...]:
        """The sides whose poses are estimated (cached) for this one."""
        if not self.fused:
            return (self,)
        return tuple(dict.fromkeys(leaf for m in self.members for leaf in m.leaves()))

    @classmethod
    def parse(cls, text: str, query: bool = False) -> Side:
        """'truth', 'single:MODEL:MODE', 'ingest:MODEL:MODE', 'page:BLAZEPOSE_MODEL:MODE',
        and for a query side (`query`) also 'SIDE+flip' or 'ensemble:SIDE,SIDE[,SIDE]';
        SpecError, saying what it takes, for anything else."""
        if not query and (text.startswith(ENSEMBLE) or text.endswith(FLIP)):
            raise SpecError("a side", f"{ARCHIVE_SHAPE} (+flip and ensembles are query sides)",
                            text)
        if text.startswith(ENSEMBLE):
            members = tuple(cls.parse(m, query=True) for m in text[len(ENSEMBLE):].split(","))
            if not 2 <= len(members) <= MAX_MEMBERS or len(set(members)) < len(members):
                raise SpecError("an ensemble", f"2 to {MAX_MEMBERS} different query sides "
                                "(single, page or +flip ones), comma-separated", text)
            if any(m.source in ("truth", "ingest", "ensemble") for m in members):
                raise SpecError("an ensemble", "single, page or +flip sides", text)
            return cls("ensemble", members=members)
        if text.endswith(FLIP):
            plain = cls.parse(text[: -len(FLIP)])
            if plain.source not in ("single", "page"):
                raise SpecError("a side", "+flip after a single or page side", text)
            return cls("flip", members=(plain, replace(plain, mirrored=True)))
        parts = text.split(":")
        if parts == ["truth"]:
            return cls("truth")
        if len(parts) == 3 and parts[0] in ("single", "ingest", "page"):
            from movemirror.pose import MODELS, MODES

            page_models = [name for name in MODELS if name.startswith("blazepose")]
            if parts[1] not in MODELS:
                raise SpecError("a side", f"a MODEL of {either(MODELS)}", text)
            if parts[0] == "page" and parts[1] not in page_models:
                raise SpecError("a side", f"a page side's MODEL of {either(page_models)} "
                                "(the page runs BlazePose)", text)
            if parts[2] not in MODES:
                raise SpecError("a side", f"a MODE of {either(MODES)}", text)
            return cls(parts[0], parts[1], parts[2])
        raise SpecError("a side", QUERY_SHAPE if query else ARCHIVE_SHAPE, text)

    def __str__(self) -> str:
        if self.source == "ensemble":
            return ENSEMBLE + ",".join(str(m) for m in self.members)
        if self.source == "flip":
            return f"{self.members[0]}{FLIP}"
        if self.source == "truth":
            return "truth"
        return f"{self.source}:{self.model}:{self.mode}" + (MIRRORED if self.mirrored else "")

    def settings(self):
        from movemirror.ingest.work import Settings

        return Settings(model=self.model, mode=self.mode)

    def key(self) -> str:
        """What the cached estimates depend on: the side, its settings and the model files
        (their checksums, so a re-conversion to identical files keeps the cache)."""
        parts = [str(CACHE_VERSION), str(self)]
        if self.source == "ingest":
            parts.append(repr(self.settings()))
        parts += [_model_checksum(name) for name in self.models()]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def models(self) -> tuple[str, ...]:
        """Every model the side may run (the estimator's helpers included)."""
        from movemirror.pose import MODES
        from movemirror.pose.estimator import SEED_MODEL

        if self.source == "truth":
            return ()
        if self.fused:
            return tuple(sorted({n for m in self.members for n in m.models()}))
        if self.source == "page":
            return tuple(sorted({self.model, PAGE_SEED_MODEL}))
        names = {self.model, SEED_MODEL, "multipose"}
        ensemble = MODES[self.mode].ensemble
        if ensemble:
            names.add(ensemble)
        return tuple(sorted(names))


@dataclass
class Estimates:
    """Per photo (by its dataset index) the poses found: a list of (17, 3) arrays."""

    poses: dict[int, list[np.ndarray]]
    seconds: float  # compute time of all photos held (as measured when each batch ran)
    workers: int  # worker count of the last batch computed


def _model_checksum(name: str) -> str:
    from movemirror.pose import model_path

    path = model_path(name)
    for line in (path.parent / "SHA256SUMS").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == path.name:
            return parts[0]
    return f"{path.name}:{path.stat().st_size}"


def cache_path(side: Side) -> Path:
    from movemirror.datasets import cache_dir

    folder = cache_dir() / "quality-cache"
    folder.mkdir(parents=True, exist_ok=True)
    name = str(side).replace(":", "-")
    return folder / f"{name}-{side.key()}.npz"


def cached_estimates(side: Side) -> Estimates:
    """The side's poses as `bench quality` cached them (for the tuning scripts); LookupError
    naming the side when it never ran."""
    estimates = _load(cache_path(side))
    if not estimates.poses:
        raise LookupError(f"{side}: nothing cached; run `movemirror bench quality` with it first")
    return estimates


def _load(path: Path) -> Estimates:
    if not path.is_file():
        return Estimates({}, 0.0, 0)
    with np.load(path) as data:
        done, owner = data["done"], data["owner"]
        keypoints, seconds = data["keypoints"], float(data["seconds"])
        workers = int(data["workers"])
    poses: dict[int, list[np.ndarray]] = {int(i): [] for i in done}
    for i, pose in zip(owner, keypoints, strict=True):
        poses[int(i)].append(pose)
    return Estimates(poses, seconds, workers)


def _save(path: Path, estimates: Estimates) -> None:
    owner = [i for i, found in estimates.poses.items() for _ in found]
    flat = [p for found in estimates.poses.values() for p in found]
    keypoints = np.stack(flat) if flat else np.empty((0, NUM_KEYPOINTS, 3), np.float32)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, done=np.array(sorted(estimates.poses), np.int32),
             owner=np.array(owner, np.int32), keypoints=keypoints.astype(np.float32),
             seconds=estimates.seconds, workers=estimates.workers)
    os.replace(partial, path)


def estimate_side(side: Side, photos: Sequence[tuple[int, Path]], workers: int,
                  report: Report) -> Estimates:
    """The side's poses for the photos (dataset index, path), computing only those not cached."""
    path = cache_path(side)
    estimates = _load(path)
    todo = [(i, p) for i, p in photos if i not in estimates.poses]
    if not todo:
        return estimates
    report(f"estimating {len(todo)} photos for {side} ({len(photos) - len(todo)} cached, "
           f"{workers} worker{'s' if workers > 1 else ''}); cache {path}")
    estimates.workers = workers
    started = time.perf_counter()
    batch_start = started
    done = 0
    for index, found in _run(side, todo, workers):
        estimates.poses[index] = found
        done += 1
        if done % SAVE_EVERY == 0 or done == len(todo):
            now = time.perf_counter()
            estimates.seconds += now - batch_start
            batch_start = now
            _save(path, estimates)
            rate = done / (now - started)
            report(f"  {side}: {done}/{len(todo)} photos, {rate:.1f} photos/s")
    return estimates


def _run(side: Side, todo, workers: int):
    if side.fused:
        raise ValueError(f"{side}: fused from other sides, not estimated itself")
    if side.mirrored and side.source not in ("single", "page"):
        raise ValueError(f"{side}: only single and page sides run on the mirrored photo")
    if side.source == "ingest":
        yield from _run_ingest(side, todo, workers)
    elif side.source == "page":
        yield from _run_page(side, todo, workers)
    else:
        yield from _run_single(side, todo, workers)


def _run_single(side: Side, todo, workers: int):
    from movemirror.pose import PoseEstimator

    estimator = PoseEstimator(side.model, mode=side.mode, threads=1)
    if side.mirrored:
        yield from _run_single_mirrored(estimator, todo, workers)
        return
    results = estimator.estimate_many((p for _, p in todo), workers=workers,
                                      min_pose_score=0.0)
    for (index, _), poses in zip(todo, results, strict=True):
        if isinstance(poses, Exception):
            yield index, []
        else:
            yield index, [np.asarray(poses[0].keypoints, np.float32)] if poses else []


def _run_single_mirrored(estimator, todo, workers: int):
    """The estimator on each photo's mirror image, its keypoints mapped back to the photo."""
    from concurrent.futures import ThreadPoolExecutor

    from movemirror.errors import ImageError
    from movemirror.pose.fuse import unmirror
    from movemirror.pose.image import load_image

    def one(path: Path) -> list[np.ndarray]:
        try:
            loaded = load_image(path, estimator.max_side)
            poses = estimator.estimate(ImageOps.mirror(loaded.image), min_pose_score=0.0)
        except ImageError:
            return []
        if not poses:
            return []
        keypoints = unmirror(poses[0].keypoints, loaded.image.width)
        keypoints[:, :2] *= loaded.scale
        return [keypoints.astype(np.float32)]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for (index, _), found in zip(todo, pool.map(one, (p for _, p in todo)), strict=True):
            yield index, found


def _run_ingest(side: Side, todo, workers: int):
    from movemirror.ingest.engines.local import run_units
    from movemirror.ingest.work import Unit

    by_path = {str(p): i for i, p in todo}
    units = [Unit(path=str(p), hash=f"{i:016d}", kind="photo") for i, p in todo]
    for result in run_units(units, side.settings(), workers):
        yield by_path[result.unit.path], [e.keypoints for e in result.entries]


def _run_page(side: Side, todo, workers: int):
    """BlazePose from the page's Lightning seed (cached as its own side), one photo at a time;
    on the mirrored photo, from Lightning's pose of the mirrored photo, when side.mirrored."""
    from movemirror.bench.quality_side_poses import page_would_match
    from movemirror.pose.blazepose import BlazePose
    from movemirror.pose.fuse import unmirror
    from movemirror.pose.image import load_image
    from movemirror.pose.session import create_session

    seeds = estimate_side(Side("single", PAGE_SEED_MODEL, side.mode, side.mirrored), todo,
                          workers, lambda _: None)
    blazepose = BlazePose(create_session(side.model, 1))
    for index, path in todo:
        found = seeds.poses.get(index, [])
        if not found or not page_would_match(found[0]):
            yield index, found
            continue
        loaded = load_image(path)
        image, seed = loaded.image, np.asarray(found[0], np.float32).copy()
        if side.mirrored:
            image = ImageOps.mirror(image)
            seed = unmirror(seed, loaded.image.width * loaded.scale)
        seed[:, :2] /= loaded.scale
        keypoints = blazepose.track(image, seed).keypoints.astype(np.float32).copy()
        if side.mirrored:
            keypoints = unmirror(keypoints, loaded.image.width)
        keypoints[:, :2] *= loaded.scale
        yield index, [keypoints]
