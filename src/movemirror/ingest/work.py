"""The per-file work, as a pure function: a unit of an archive in, entries and counts out.

A unit is a photo or a stretch of a video. process_unit reads nothing but the file and
writes nothing at all: the entries carry their thumbnails as JPEG bytes, so the same
function can run in a local process pool or on a cluster.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from movemirror.errors import DecodeError
from movemirror.ingest.dedup import DEFAULT_THRESHOLD, Deduplicator
from movemirror.ingest.follow import Follower, detect
from movemirror.ingest.frames import read_photo, video_frames
from movemirror.ingest.quality import QualityFilter, largest
from movemirror.ingest.thumbnails import DISPLAY_SIZE, crop_box, thumbnail
from movemirror.pose.registry import DEFAULT_MODEL
from movemirror.vectors import to_vectors

SEGMENT_SECONDS = 20.0  # a video is cut into stretches this long: units of work and of resume
VIDEO_MAX_SIDE = 960  # video frames are decoded at most this large (pose input is far smaller)
# The estimator's mode for archives (movemirror.pose.MODES), distinct from the mode of a
# single `estimate` (movemirror.pose.DEFAULT_MODE): "crop" is MoveNet's own two
# passes (the whole frame, then a square crop around the body; with several people,
# MultiPose finds them and one crop pass refines each). It costs 2 inferences a photo where
# "accurate" costs up to 17 (two crop sizes, mirrored, turned 90/180/270 degrees): throughput
# for archives of thousands of photos matters more than the last points of PCK. "fast" (one
# pass, no crop) is for quick previews; "accurate" and "best" (accurate plus BlazePose Heavy)
# for small archives of acrobatics.
ARCHIVE_MODE = "crop"
# MultiPose's input side (longer side, pixels) when frames may hold several people. 256 is
# what TF.js uses; a larger input finds smaller people, but the quality filter drops anyone
# under a quarter of the frame (min_person_size), and 384 costs 2.5x the CPU (76 vs 30 ms).
MULTIPOSE_SIDE = 256
# What a thumbnail shows: "person", a crop framing the person, or "frame", the whole frame.
THUMB_KINDS = ("person", "frame")
# In a video, people are found (MultiPose) on one sampled frame in this many and followed on
# the crops of their last poses in between (movemirror.ingest.follow); 1 finds them on every
# frame. `movemirror bench ingest` measures the speed and the keypoints against 1. Following
# stays opt-in (1 by default): measured here it was 1.24-1.72x faster at a PCK@0.2 of 0.91
# (0.88 on the street video), short of 2x at 0.95, which one Thunder pass a person a frame
# rules out; no other crop rule for the followed people came closer, and on the street video
# following also moves the keypoints away from an independent estimate (docs/indexing.md).
DETECT_EVERY = 1


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    mode: str = ARCHIVE_MODE  # the estimator's mode (see ARCHIVE_MODE)
    every_ms: int = 200
    quality: QualityFilter = field(default_factory=QualityFilter)
    largest_only: bool = False
    max_people: int = 6
    dedup: float = DEFAULT_THRESHOLD
    thumb: str = THUMB_KINDS[0]  # see THUMB_KINDS
    thumb_size: int = DISPLAY_SIZE
    detect_every: int = DETECT_EVERY  # see DETECT_EVERY


@dataclass(frozen=True)
class Unit:
    path: str
    hash: str
    kind: str  # "photo" or "video"
    start: float = 0.0
    end: float | None = None  # None: to the end of the video
    segments: int = 1  # how many units the file was cut into


@dataclass
class Entry:
    id: str
    frame_time: float | None
    person: int
    keypoints: np.ndarray  # (17, 3) in source pixels
    score: float
    box: list[float]  # x0, y0, x1, y1 in source pixels
    thumb_box: list[float]  # the part of the source the thumbnail shows
    thumbnail: bytes
    width: int  # source size in pixels
    height: int


@dataclass
class UnitResult:
    unit: Unit
    entries: list[Entry] = field(default_factory=list)
    frames: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)
    error: str | None = None  # why nothing (or not everything) could be read
    # The failure was the run's, not the file's (an engine gave up on the unit): it is
    # reported but not recorded in the ledger, so the next run tries it again.
    retry: bool = False
    seconds: float = 0.0


def entry_id(content_hash: str, frame_time: float | None, person: int) -> str:
    ms = 0 if frame_time is None else int(round(frame_time * 1000))
    return f"{content_hash[:16]}:{ms}:{person}"


def process_unit(unit: Unit, settings: Settings, estimator) -> UnitResult:
    """Decode the unit, estimate poses, filter, drop near-duplicates, make thumbnails."""
    started = time.perf_counter()
    result = UnitResult(unit)
    try:
        if unit.kind == "photo":
            frame, scale = read_photo(unit.path)
            poses = detect(estimator, frame, settings.max_people,
                           _single_person_model(settings.model))
            _add_frame(result, None, scale, frame, settings, poses, None)
        else:
            dedup = Deduplicator(settings.dedup)
            follower = Follower(estimator, settings.max_people,
                                _single_person_model(settings.model), settings.detect_every,
                                worth_following=lambda pose, frame: not settings.quality.problem(
                                    pose.keypoints, float(pose.score), pose.box,
                                    (frame.shape[1], frame.shape[0])))
            frames = video_frames(unit.path, settings.every_ms, unit.start, unit.end,
                                  VIDEO_MAX_SIDE)
            for t, scale, frame in frames:
                _add_frame(result, t, scale, frame, settings, follower.poses(frame), dedup)
    except DecodeError as error:
        result.error = str(error)
    except Exception as error:  # a file that trips up the decoder or model in any other way
        from movemirror.errors import ModelMissingError

        if isinstance(error, ModelMissingError):
            raise
        result.error = f"{type(error).__name__}: {error}"
    if result.error and result.frames == 0 and unit.kind == "video" and unit.start > 0:
        result.error = f"{result.error} (at {unit.start:.0f} s)"
    result.seconds = time.perf_counter() - started
    return result


def _add_frame(result: UnitResult, t: float | None, scale: float, frame: np.ndarray,
               settings: Settings, poses: list, dedup: Deduplicator | None) -> None:
    result.frames += 1
    height, width = frame.shape[:2]
    if settings.largest_only and len(poses) > 1:
        poses = [poses[largest([p.box for p in poses])]]
    if not poses:
        result.rejected["no person found"] += 1
        return
    accepted = []
    for person, pose in enumerate(poses):
        problem = settings.quality.problem(pose.keypoints, float(pose.score), pose.box,
                                           (width, height))
        if problem:
            result.rejected[problem] += 1
        else:
            accepted.append((person, pose))
    if dedup is not None and t is not None and accepted:  # videos only: photos have no t
        vectors = to_vectors(np.stack([p.keypoints for _, p in accepted]))
        keep = dedup.frame(t, vectors, [p.box for _, p in accepted])
        result.duplicates += keep.count(False)
        accepted = [a for a, k in zip(accepted, keep, strict=True) if k]
    for person, pose in accepted:
        crop = crop_box(pose.box, (width, height)) if settings.thumb == "person" else (
            0, 0, width, height)
        keypoints = np.asarray(pose.keypoints, dtype=np.float32).copy()
        keypoints[:, :2] /= scale
        result.entries.append(Entry(
            id=entry_id(result.unit.hash, t, person),
            frame_time=t,
            person=person,
            keypoints=keypoints,
            score=float(pose.score),
            box=[float(v) / scale for v in pose.box],
            thumb_box=[float(v) / scale for v in crop],
            thumbnail=thumbnail(frame, crop, settings.thumb_size),
            width=round(width / scale),
            height=round(height / scale),
        ))


def _single_person_model(model: str) -> bool:
    from movemirror.pose import MODELS

    return model in MODELS and MODELS[model].kind in ("movenet", "blazepose")
