"""A bank's tracks: its timed poses grouped by person and video, in time order.

A pose belongs to the track its `track` column names; a pose without a track name is a track
of its own. Only tracks of two timed poses or more can move, so only they take part in
movement search; photos (no frame time) never do.

Ingestion links a person's poses within one unit of work (a stretch of a video), so a person
seen across a unit's end is two tracks in the records. Here they are one again: a track of
a video (its `content_hash`) continues a track of the same video that ended at most
MAX_GAP_SECONDS before it starts, where the two boxes overlap (IoU at least MIN_IOU); best
overlap first, each end and each start used once. This reads committed poses only, so it
does not matter which engine ran the units, in which order, or in how many runs. The joined
track takes the name of its first part.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from movemirror.bank.schema import FRAME_TIME, ID, TRACK
from movemirror.boxes import MIN_IOU, iou
from movemirror.errors import MotionError

MAX_GAP_SECONDS = 1.5  # a person unseen longer than this starts a new track
VIDEO = "content_hash"  # the column naming a pose's video file
BOX = "box"


@dataclass(frozen=True)
class Tracks:
    """The moving tracks of a bank, their poses laid end to end in time order."""

    names: list[str]  # (J,) each track's name
    first: np.ndarray  # (J,) int64: position of each track's first pose in rows/times
    stop: np.ndarray  # (J,) int64: one past its last
    rows: np.ndarray  # (M,) int64: bank row of each pose
    times: np.ndarray  # (M,) float64: its frame time, seconds

    def __len__(self) -> int:
        return len(self.names)

    @property
    def durations(self) -> np.ndarray:
        return self.times[self.stop - 1] - self.times[self.first]

    def position(self, name: str) -> int | None:
        """The position of the track of that name, None if there is none."""
        return self._positions.get(name)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {name: j for j, name in enumerate(self.names)}


@dataclass(frozen=True)
class TrackSummary:
    tracks: int  # every track, a pose of its own included
    moving: int  # tracks of two timed poses or more
    moving_poses: int
    duration_s: float  # the moving tracks' total, first pose to last


def track_keys(records: pa.Table) -> list[str]:
    """Each pose's track name: its `track` value (joined across cuts, see the module), else
    its own id."""
    ids = records.column(ID)
    if TRACK not in records.column_names:
        return ids.to_pylist()
    keys = pc.coalesce(records.column(TRACK), ids).to_pylist()
    if VIDEO not in records.column_names or BOX not in records.column_names:
        return keys
    return _joined_across_cuts(records, keys)


def _joined_across_cuts(records: pa.Table, keys: list[str]) -> list[str]:
    named = np.flatnonzero(records.column(TRACK).is_valid().to_numpy(zero_copy_only=False)
                           & records.column(VIDEO).is_valid().to_numpy(zero_copy_only=False)
                           & ~np.isnan(frame_times(records)))
    if not len(named):
        return keys
    times = frame_times(records)[named]
    names = np.asarray(keys, dtype=object)[named]
    codes = np.unique(names, return_inverse=True)[1]
    order = np.lexsort((times, codes))
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
    ends = np.r_[starts[1:], len(order)] - 1
    first_rows, last_rows = named[order[starts]], named[order[ends]]
    boxes = records.column(BOX)
    videos = records.column(VIDEO)
    segments = [TrackPart(str(videos[int(f)]), float(times[order[s]]),
                          boxes[int(f)].as_py(), float(times[order[e]]), boxes[int(la)].as_py())
                for f, la, s, e in zip(first_rows, last_rows, starts, ends, strict=True)]
    follows = continued_tracks(segments)
    if not follows:
        return keys
    segment_names = [str(names[order[s]]) for s in starts]
    renamed = {}
    for later in range(len(segments)):
        head = later
        while head in follows:
            head = follows[head]
        if head != later:
            renamed[segment_names[later]] = segment_names[head]
    return [renamed.get(key, key) for key in keys]


@dataclass(frozen=True)
class TrackPart:
    """A track as recorded: its video, first and last frame times and boxes."""

    video: str
    first_time: float
    first_box: list | None
    last_time: float
    last_box: list | None


def continued_tracks(parts: list[TrackPart], max_gap: float = MAX_GAP_SECONDS,
                     min_iou: float = MIN_IOU) -> dict[int, int]:
    """{later part: the part it continues}: same video, starting after the other ends by at
    most max_gap seconds, first box overlapping the other's last by min_iou; best overlap
    first, each part continued at most once and continuing at most one."""
    by_video: dict[str, list[int]] = {}
    for p, part in enumerate(parts):
        if part.first_box is not None and part.last_box is not None:
            by_video.setdefault(part.video, []).append(p)
    pairs = []
    for members in by_video.values():
        members.sort(key=lambda p: parts[p].first_time)
        firsts = [parts[p].first_time for p in members]
        for a in members:
            end = parts[a].last_time
            for b in members[bisect_right(firsts, end):bisect_right(firsts, end + max_gap)]:
                overlap = iou(parts[a].last_box, parts[b].first_box)
                if overlap >= min_iou:
                    pairs.append((-overlap, parts[b].first_time - end, b, a))
    follows: dict[int, int] = {}
    continued: set[int] = set()
    for _, _, later, earlier in sorted(pairs):
        if later not in follows and earlier not in continued:
            follows[later] = earlier
            continued.add(earlier)
    return follows


def frame_times(records: pa.Table) -> np.ndarray:
    """Each pose's frame time in seconds, NaN for a photo."""
    if FRAME_TIME not in records.column_names:
        return np.full(records.num_rows, np.nan)
    return records.column(FRAME_TIME).to_numpy(zero_copy_only=False).astype(np.float64)


def bank_tracks(records: pa.Table) -> Tracks:
    """The bank's moving tracks; raises MotionError if a track has two poses at one time."""
    keys = np.asarray(track_keys(records), dtype=object)
    times = frame_times(records)
    timed = np.flatnonzero(~np.isnan(times))
    if not len(timed):
        empty = np.empty(0, np.int64)
        return Tracks([], empty, empty, empty, np.empty(0))
    names, codes = np.unique(keys[timed], return_inverse=True)
    order = np.lexsort((times[timed], codes))
    rows, codes, times = timed[order], codes[order], times[timed][order]
    same = (codes[1:] == codes[:-1]) & (times[1:] == times[:-1])
    if same.any():
        at = int(np.flatnonzero(same)[0])
        raise MotionError(f"track {names[codes[at]]!r} has two poses at {times[at]:g} s "
                          f"(rows {rows[at]} and {rows[at + 1]}): a track is one person")
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    stops = np.r_[starts[1:], len(codes)]
    moving = stops - starts >= 2
    starts, stops = starts[moving], stops[moving]
    keep = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)]) if (
        len(starts)) else np.empty(0, np.int64)
    lengths = stops - starts
    first = np.cumsum(lengths).astype(np.int64) - lengths  # none: none (np.r_[0, ...] had one)
    return Tracks([str(names[codes[s]]) for s in starts], first,
                  (first + lengths).astype(np.int64), rows[keep].astype(np.int64),
                  times[keep])


def summarise_tracks(records: pa.Table) -> TrackSummary:
    """How many tracks a bank holds, how many move, and their total duration."""
    tracks = bank_tracks(records)
    all_tracks = len(set(track_keys(records)))
    return TrackSummary(tracks=all_tracks, moving=len(tracks), moving_poses=len(tracks.rows),
                        duration_s=float(tracks.durations.sum()))
