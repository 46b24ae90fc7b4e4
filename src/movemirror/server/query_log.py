"""The opt-in query log of `serve --log-queries FOLDER`: which poses visitors searched for.

Each row holds only what a coverage report needs (COLUMNS): the searched pose's 17 keypoints
as sent (x, y, score in the client's pixels), the minute it was searched (rounded down, UTC),
its best match's distance and the metric. Never an image, a client address, a query id or a
finer time: nothing in it says who searched or tells one visitor's searches from another's.

Parquet files cannot be appended to, so the log is a folder of part files: rows are kept in
memory and each batch is written as a new `part-<pid>-<token>-<n>.parquet`, atomically (a part
is complete or absent), every FLUSH_ROWS rows, every FLUSH_SECONDS and at shutdown. A crash
loses at most the rows not yet written. Each server process (`--workers N`) writes its own
parts (named by its pid and a random token, so restarts never overwrite), so they never clash.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import ArrayLike

from movemirror.errors import QueryLogError
from movemirror.files import write_atomic
from movemirror.keypoints import NUM_KEYPOINTS

FLUSH_ROWS = 1000
FLUSH_SECONDS = 60.0
PART_GLOB = "part-*.parquet"
SCHEMA = pa.schema([
    pa.field("minute", pa.timestamp("s", tz="UTC"), nullable=False),
    pa.field("keypoints", pa.list_(pa.float32(), NUM_KEYPOINTS * 3), nullable=False),
    pa.field("best_distance", pa.float32()),  # null when the bank had no match
    pa.field("metric", pa.string(), nullable=False),
])
COLUMNS = tuple(SCHEMA.names)


class QueryLog:
    """Buffers the searched poses of one server process and writes them out in parts."""

    def __init__(self, folder: str | Path, *, flush_rows: int = FLUSH_ROWS,
                 flush_seconds: float = FLUSH_SECONDS, clock: Callable[[], float] = time.time):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise QueryLogError(f"{self.folder}: the query log is a folder, and this is a file")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise QueryLogError(f"{self.folder}: cannot create the query log: {error}") from None
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self._clock = clock
        self._prefix = f"part-{os.getpid()}-{secrets.token_hex(4)}"
        self._parts = 0
        self._minutes: list[int] = []
        self._keypoints: list[np.ndarray] = []
        self._distances: list[float | None] = []
        self._metrics: list[str] = []
        self._last_flush = clock()

    def record(self, keypoints: ArrayLike, hits: Sequence, metric: str) -> None:
        """Add one searched pose (17, 3) and its hits (best first; may be empty)."""
        self._minutes.append(int(self._clock() // 60 * 60))
        self._keypoints.append(np.asarray(keypoints, np.float32).reshape(NUM_KEYPOINTS * 3))
        self._distances.append(float(hits[0].distance) if len(hits) else None)
        self._metrics.append(metric)
        if (len(self._minutes) >= self.flush_rows
                or self._clock() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> Path | None:
        """Write the buffered rows as a new part; returns its path (None when none waited)."""
        self._last_flush = self._clock()
        if not self._minutes:
            return None
        flat = np.stack(self._keypoints).reshape(-1)
        table = pa.table([
            pa.array(self._minutes, pa.int64()).cast(SCHEMA.field("minute").type),
            pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), NUM_KEYPOINTS * 3),
            pa.array(self._distances, pa.float32()),
            pa.array(self._metrics, pa.string()),
        ], schema=SCHEMA)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        path = self.folder / f"{self._prefix}-{self._parts:06d}.parquet"
        write_atomic(path, sink.getvalue())
        self._parts += 1
        self._minutes, self._keypoints, self._distances, self._metrics = [], [], [], []
        return path

    async def flush_periodically(self) -> None:
        """Flush every flush_seconds, so a quiet server's rows reach the disk too."""
        while True:
            await asyncio.sleep(self.flush_seconds)
            self.flush()


@dataclass
class LoggedQueries:
    keypoints: np.ndarray  # (N, 17, 3) float32
    minutes: np.ndarray  # (N,) datetime64[s], UTC
    best_distances: np.ndarray  # (N,) float32, NaN where there was no match
    metrics: list[str]


def is_query_log(path: Path) -> bool:
    """Whether path looks like a query log: a .parquet file or a folder of its parts."""
    if path.is_file():
        return path.suffix == ".parquet"
    return path.is_dir() and any(path.glob(PART_GLOB))


def read_query_log(path: str | Path) -> LoggedQueries:
    """The rows of a query log (its folder, or one part file); raises QueryLogError naming
    the file that is not one."""
    path = Path(path)
    files = sorted(path.glob(PART_GLOB)) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise QueryLogError(f"{path}: no query log here (expected a folder of {PART_GLOB})")
    tables = []
    for file in files:
        try:
            table = pq.read_table(file)
        except (OSError, pa.ArrowException) as error:
            raise QueryLogError(f"{file}: not a readable query log part: {error}") from None
        if table.schema.names != list(COLUMNS):
            raise QueryLogError(f"{file}: not a query log: its columns are "
                                f"{', '.join(table.schema.names)}, not {', '.join(COLUMNS)}")
        try:
            tables.append(table.cast(SCHEMA))
        except (pa.ArrowException, ValueError) as error:
            raise QueryLogError(f"{file}: not a query log: {error}") from None
    table = pa.concat_tables(tables)
    flat = table.column("keypoints").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    distances = table.column("best_distance").to_numpy(zero_copy_only=False)
    return LoggedQueries(
        keypoints=np.asarray(flat, np.float32).reshape(-1, NUM_KEYPOINTS, 3),
        minutes=table.column("minute").to_numpy().astype("datetime64[s]"),
        best_distances=np.asarray(distances, np.float64).astype(np.float32),
        metrics=table.column("metric").to_pylist(),
    )
