"""No photo hogs the mirror: at most one match per source frame.

A bank of video frames holds many near-identical poses of one moment, so a plain top-k shows
the same second of the same video k times. A "source frame" is one photo, or one second of
one video (the pose's source and the whole second of its frame time); a pose without a
source is a frame of its own. The page's flipbook adds a short memory on top of this
(static/js/variety.js, whose frameKey is the same rule).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from movemirror.bank.schema import FRAME_TIME, ID, SOURCE

FRAME_SECONDS = 1.0  # poses of one video within the same whole second share a source frame
OVERFETCH = 4  # candidates searched per match asked for; 4x more while too few frames came
MAX_FETCH = 2048  # candidates at most: past that, fewer matches than asked for


def frame_key(source: str | None, frame_time: float | None, pose_id: str) -> str:
    """The source frame of a pose: "<source>@<second>" for a video frame, "<source>" for a
    photo, "#<id>" for a pose of unknown source."""
    if source is None:
        return f"#{pose_id}"
    if frame_time is None or not np.isfinite(frame_time):
        return source
    return f"{source}@{int(frame_time // FRAME_SECONDS)}"


def frame_codes(records) -> np.ndarray:
    """One int per bank pose (a records table): equal exactly for poses of the same source
    frame."""
    names = set(records.column_names)
    ids = records.column(ID).to_pylist()
    sources = records.column(SOURCE).to_pylist() if SOURCE in names else [None] * len(ids)
    times = records.column(FRAME_TIME).to_pylist() if FRAME_TIME in names else [None] * len(ids)
    keys = [frame_key(s, t, i) for s, t, i in zip(sources, times, ids, strict=True)]
    _, codes = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64)


def one_per_frame(rows, codes: np.ndarray, k: int) -> np.ndarray:
    """Positions in `rows` (bank rows, best first) of the first k whose source frame has not
    come before: the best pose of each frame, in the same order."""
    seen: set[int] = set()
    kept = []
    for position, row in enumerate(rows):
        code = int(codes[row])
        if code in seen:
            continue
        seen.add(code)
        kept.append(position)
        if len(kept) == k:
            break
    return np.asarray(kept, np.int64)


Candidates = tuple[list[int], list[float], list[bool]]  # bank rows, distances, mirrored


def best_per_frame(search: Callable[[int], Candidates], first: Candidates, k: int,
                   codes: np.ndarray) -> Candidates:
    """The best k candidates of distinct source frames. first: the candidates already found
    (best first); search(n): the best n. Searched again, OVERFETCH times more each time (up
    to MAX_FETCH), while too few frames came: a video's second holds dozens of
    near-identical poses."""
    rows, distances, mirrored = first
    fetched = len(rows)
    keep = one_per_frame(rows, codes, k)
    while len(keep) < k and fetched < min(len(codes), MAX_FETCH):
        fetched = min(fetched * OVERFETCH, len(codes), MAX_FETCH)
        rows, distances, mirrored = search(fetched)
        keep = one_per_frame(rows, codes, k)
    return ([rows[p] for p in keep], [distances[p] for p in keep],
            [mirrored[p] for p in keep])
