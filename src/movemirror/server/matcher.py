"""Searches the bank for many clients at once by gathering concurrent queries into batches.

Batches run on a small pool of threads (one per core, at most SEARCH_THREADS): the search
kernels release the GIL, so one server process uses every core while its event loop keeps
reading sockets. A query goes out at once when a thread is idle; whatever arrives while
every thread is busy is shared out among the next batches, so under load one bank.search
call answers hundreds of clients.
"""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from movemirror.bank import PoseBank
from movemirror.distances import DEFAULT_METRIC, LIKENESS, SEARCH_METRICS, search_metric
from movemirror.errors import PoseError
from movemirror.quality import likeness
from movemirror.server import variety

MAX_BATCH = 512
SEARCH_THREADS = 2
# A search thread wanting the GIL back (after a kernel that released it) waits for the event
# loop to give it up: by default after 5 ms, which a busy server adds to each batch.
GIL_SWITCH_SECONDS = 0.0005


def hand_over_the_gil_sooner() -> None:
    """Let the search threads take the GIL back sooner from a busy event loop (process-wide)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))


@dataclass
class Hit:
    index: int
    distance: float
    mirrored: bool


@dataclass
class _Query:
    pose: np.ndarray
    k: int
    metric: str
    mirror: bool
    future: asyncio.Future = field(repr=False)
    one_per_frame: bool = False

    @property
    def fetch(self) -> int:
        """How many candidates to search for: more when some will be dropped."""
        return self.k * variety.OVERFETCH if self.one_per_frame else self.k


class Matcher:
    def __init__(self, bank: PoseBank, max_batch: int = MAX_BATCH,
                 threads: int | None = None):
        self.bank = bank
        self.max_batch = max_batch
        self.threads = threads or max(1, min(SEARCH_THREADS, os.cpu_count() or 1))
        self._pending: list[_Query] = []
        self._wakeup = asyncio.Event()  # replaced for each event loop that searches
        self._worker: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()
        self._executor = ThreadPoolExecutor(max_workers=self.threads,
                                            thread_name_prefix="movemirror-search")
        self.batches = 0
        self.queries = 0
        self.most_batches_at_once = 0
        self._frame_codes: np.ndarray | None = None  # variety.frame_codes, on first use

    def warm(self) -> None:
        """Build the indexes and run each search path once now, not on the first queries.

        The indexes may compile code on first use (numba): seconds that would otherwise
        stall every client of a freshly started server.
        """
        if len(self.bank) == 0:
            return
        poses = self.bank.keypoints[:64]
        for metric in SEARCH_METRICS:
            self.bank.index(metric)
            valid = poses[[p is None for p in search_metric(metric).problems(poses)]]
            for mirror in (False, True):
                for count in (1, 2, len(valid)):
                    if len(valid):
                        self.bank.search(valid[:count], k=5, metric=metric, mirror=mirror)
        motion = self.bank.motion_index()
        if len(motion):  # a bank with moving tracks: its window index and search, compiled
            rows = motion.tracks.rows[motion.first[0]:motion.stop[0]][:10]
            self.bank.search_motion(self.bank.keypoints[rows], motion.times[
                motion.first[0]:motion.stop[0]][:10], k=5, mirror=True)

    async def search(self, pose, k: int = 10, metric: str = DEFAULT_METRIC,
                     mirror: bool = False, one_per_frame: bool = False) -> list[Hit]:
        """Top-k matches for one pose (17, 3) in pixels; raises PoseError for a bad pose.
        one_per_frame: at most one match per source frame (movemirror.server.variety)."""
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            self._wakeup = asyncio.Event()
            self._pending = []
            self._running = set()
            self._worker = loop.create_task(self._run())
        query = _Query(np.asarray(pose, np.float32), k, metric, mirror, loop.create_future(),
                       one_per_frame)
        self._pending.append(query)
        self._wakeup.set()
        return await query.future

    async def search_motion(self, poses, times, k: int, metric: str,
                            mirror: bool) -> list:
        """bank.search_motion on a search thread (movemirror.motion.search.MotionMatch list).
        "likeness" (the page's default) is a way to order poses, not a distance movement
        search can use: its movement is searched with its first stage's distance, cosine."""
        if metric == LIKENESS:
            metric = likeness.FIRST_STAGE
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self.bank.search_motion(poses, times, k=k, metric=metric,
                                                            mirror=mirror))

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending and len(self._running) < self.threads:
                idle = self.threads - len(self._running)
                size = min(self.max_batch, -(-len(self._pending) // idle))
                batch = self._pending[:size]
                del self._pending[:size]
                self.batches += 1
                self.queries += len(batch)
                task = asyncio.get_running_loop().create_task(self._search_batch(batch))
                self._running.add(task)
                self.most_batches_at_once = max(self.most_batches_at_once, len(self._running))

    async def _search_batch(self, batch: list[_Query]) -> None:
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self._answer, batch)
        except Exception as error:  # noqa: BLE001 - every waiting client must hear of it
            results = [error] * len(batch)
        finally:
            self._running.discard(asyncio.current_task())
            self._wakeup.set()
        for query, result in zip(batch, results, strict=True):
            if query.future.done():
                continue
            if isinstance(result, Exception):
                query.future.set_exception(result)
            else:
                query.future.set_result(result)

    def _answer(self, batch: list[_Query]) -> list[list[Hit] | Exception]:
        groups: dict[tuple[str, bool], list[int]] = {}
        for i, query in enumerate(batch):
            groups.setdefault((query.metric, query.mirror), []).append(i)
        results: list[list[Hit] | Exception] = [None] * len(batch)  # type: ignore[list-item]
        for (metric, mirror), members in groups.items():
            try:
                self._search_group(batch, members, metric, mirror, results)
            except PoseError:
                # Rare (the page sends only good poses): find the bad ones, answer the rest.
                problems = search_metric(metric).problems(
                    np.stack([batch[i].pose for i in members]))
                good = [i for i, problem in zip(members, problems, strict=True) if not problem]
                for i, problem in zip(members, problems, strict=True):
                    if problem:
                        results[i] = PoseError(problem)
                if good:
                    self._search_group(batch, good, metric, mirror, results)
        return results

    def _search_group(self, batch, members, metric, mirror, results) -> None:
        k = max(batch[i].fetch for i in members)
        poses = np.stack([batch[i].pose for i in members])
        found = self.bank.search(poses, k=k, metric=metric, mirror=mirror)
        distances, indices = found.distances.tolist(), found.indices.tolist()
        flags = found.mirrored.tolist()
        for row, i in enumerate(members):
            query = batch[i]
            if query.one_per_frame:
                results[i] = self._one_per_frame(query, indices[row], distances[row], flags[row])
                continue
            results[i] = [Hit(j, d, m) for d, j, m in zip(
                distances[row][:query.k], indices[row][:query.k], flags[row][:query.k],
                strict=True)]

    def _one_per_frame(self, query: _Query, indices, distances, flags) -> list[Hit]:
        def search(n: int) -> variety.Candidates:
            found = self.bank.search(query.pose, k=n, metric=query.metric, mirror=query.mirror)
            return (found.indices[0].tolist(), found.distances[0].tolist(),
                    found.mirrored[0].tolist())

        rows, distances, flags = variety.best_per_frame(
            search, (indices, distances, flags), query.k, self.frame_codes())
        return [Hit(*hit) for hit in zip(rows, distances, flags, strict=True)]

    def frame_codes(self) -> np.ndarray:
        if self._frame_codes is None:
            self._frame_codes = variety.frame_codes(self.bank.records)
        return self._frame_codes

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        for task in list(self._running):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
