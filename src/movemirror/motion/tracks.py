"""A bank's tracks: its timed poses grouped by person and video, in time order.

A pose belongs to the track its `track` column names; a pose without a track name is a track
of its own. Only tracks of two timed poses or more can move, so only they take part in
movement search; photos (no frame time) never do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from movemirror.bank.schema import FRAME_TIME, ID, TRACK
from movemirror.errors import MotionError


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


@dataclass(frozen=True)
class TrackSummary:
    tracks: int  # every track, a pose of its own included
    moving: int  # tracks of two timed poses or more
    moving_poses: int
    duration_s: float  # the moving tracks' total, first pose to last


def track_keys(records: pa.Table) -> list[str]:
    """Each pose's track name: its `track` value, else its own id."""
    ids = records.column(ID)
    if TRACK not in records.column_names:
        return ids.to_pylist()
    return pc.coalesce(records.column(TRACK), ids).to_pylist()


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
    first = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    return Tracks([str(names[codes[s]]) for s in starts], first,
                  (first + lengths).astype(np.int64), rows[keep].astype(np.int64),
                  times[keep])


def summarise_tracks(records: pa.Table) -> TrackSummary:
    """How many tracks a bank holds, how many move, and their total duration."""
    tracks = bank_tracks(records)
    all_tracks = len(set(track_keys(records)))
    return TrackSummary(tracks=all_tracks, moving=len(tracks), moving_poses=len(tracks.rows),
                        duration_s=float(tracks.durations.sum()))
