"""One load level of bench serve: N WebSocket clients sending poses to the server at a rate
for a fixed time, every reply timed against its query, and where the cores and the server's
memory went meanwhile.

Two kinds of client (LOOPS):
- open loop: sends poses at a fixed rate whatever the replies do, as a camera script does;
  the server answers the newest of its waiting poses and supersedes the rest;
- closed loop: behaves like the page, one query in flight, and a newer camera frame replaces
  one still waiting to be sent (latest wins).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from movemirror.bench.event_loop import run_on_new_loop
from movemirror.bench.frame_clock import FrameClock
from movemirror.bench.latency_histogram import Counts, latency_counts
from movemirror.bench.load_client import (
    MATCHES,
    SUPERSEDED,
    ConnectionEnded,
    LoadClient,
    text_frame,
)
from movemirror.bench.malformed import (
    DRAIN_SECONDS,
    FloodProcess,
    FloodStats,
    malformed_messages,
    run_flood,
)
from movemirror.bench.memory import MemorySampler
from movemirror.bench.process_cpu import machine_busy_seconds, tree_cpu_seconds
from movemirror.bench.server_process import HOST, ServerProcess

LOOPS = ("open", "closed")


@dataclass
class LevelResult:
    clients: int
    rate_per_client: float
    seconds: float
    sent: int
    answered: int
    errors: int
    unanswered: int
    matches_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_percent: float | None
    load_cpu_percent: float  # the good clients' process (the flood has its own)
    loop: str = "open"
    superseded: int = 0  # open loop: poses the server skipped for a newer one of its client
    min_client_matches_per_second: float = 0.0  # the least-served client's rate
    malformed_clients: int = 0
    server_rss_start_mb: float | None = None  # resident memory of all server processes
    server_rss_end_mb: float | None = None
    server_rss_max_mb: float | None = None
    closed: int = 0  # clients whose connection ended early (the server closed it or it broke)
    # The malformed clients' messages (warm-up included) and their answers (FloodStats):
    # after the level they wait a few seconds for the answers still owed (the server answers
    # a connection past its refused-message budget at the budget's rate); the good clients'
    # figures are those of the level alone.
    malformed_sent: int = 0
    malformed_answered_right: int = 0
    malformed_answered_after_stop: int = 0
    malformed_owed: int = 0
    malformed_unanswered: int = 0
    malformed_wrong: dict[str, int] = field(default_factory=dict)
    malformed_drain_seconds: float = 0.0  # the longest they waited for answers owed
    flood_cpu_percent: float = 0.0  # the malformed clients' process, of one core
    # The machine's busy cores beside the server's and the bench's: other jobs, which the
    # latencies suffer from too (None where /proc cannot tell).
    other_cpu_percent: float | None = None
    # The counted latencies by bin (bench.latency_histogram): what pooling levels needs.
    latency_counts: Counts = field(default_factory=dict)


@dataclass
class _ClientStats:
    latencies: list[float] = field(default_factory=list)  # seconds, counted matches only
    sent: int = 0
    superseded: int = 0
    errors: int = 0
    unanswered: int = 0
    closed: int = 0  # connections that ended before the level did




async def _open_loop_client(url: str, frames: list[bytes], rate: float, start: float,
                            warm_until: float, stop: float, stats: _ClientStats) -> None:
    """Sends at `rate` whatever the replies do; pairs each reply with its query by order."""
    pending: deque[tuple[float, bool]] = deque()

    def on_reply(prefix: bytes) -> None:
        if not pending:  # a reply to nothing sent: the server broke the protocol
            stats.errors += 1
            return
        sent_at, counted = pending.popleft()
        if not counted:
            return
        if prefix.startswith(MATCHES):
            stats.latencies.append(time.perf_counter() - sent_at)
        elif prefix.startswith(SUPERSEDED):
            stats.superseded += 1
        else:
            stats.errors += 1

    client = await LoadClient.connect_url(url, on_reply)
    clock = FrameClock(rate, start, stop, first=random.randrange(len(frames)))
    try:
        while await clock.wait():
            now = time.perf_counter()
            counted = now >= warm_until
            client.send(frames[clock.frame % len(frames)])
            pending.append((now, counted))
            stats.sent += counted
            clock.advance()
        await asyncio.sleep(0.5)  # the last replies
        if client.ended.done():
            raise ConnectionEnded(f"closed with {client.close_code}")
    except ConnectionEnded:  # the server closed it (or it broke): counted, the level goes on
        stats.closed += 1
    finally:
        client.close()
    stats.unanswered += sum(1 for _, counted in pending if counted)


async def _closed_loop_client(url: str, frames: list[bytes], rate: float, start: float,
                              warm_until: float, stop: float, stats: _ClientStats) -> None:
    """Like the page: a camera frame every 1/rate s; one query in flight, and a frame that
    comes while one is in flight waits, replaced by any newer frame (latest wins)."""
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[bytes] = loop.create_future()

    def on_reply(prefix: bytes) -> None:
        if not reply.done():
            reply.set_result(prefix)

    def give_up(error: Exception) -> None:
        if not reply.done():
            reply.set_exception(error)

    client = await LoadClient.connect_url(url, on_reply)
    client.ended.add_done_callback(
        lambda _: give_up(ConnectionEnded(f"closed with {client.close_code}")))
    # One timer for the whole level, not one a query: a reply not in by then is unanswered.
    late = loop.call_later(stop - time.perf_counter() + 1.0, give_up, TimeoutError())
    clock = FrameClock(rate, start, stop, first=random.randrange(len(frames)))
    try:
        while await clock.wait():
            sent_at = time.perf_counter()
            counted = sent_at >= warm_until
            client.send(frames[clock.frame % len(frames)])
            stats.sent += counted
            try:
                prefix = await reply
            except TimeoutError:
                stats.unanswered += counted
                return
            reply = loop.create_future()
            done = time.perf_counter()
            if counted:
                if prefix.startswith(MATCHES):
                    stats.latencies.append(done - sent_at)
                else:
                    stats.errors += 1
            # Frames that came meanwhile: only the newest is sent, at once; else wait for
            # the next one.
            clock.advance(done)
    except ConnectionEnded:  # the server closed it (or it broke): counted, the level goes on
        stats.closed += 1
    finally:
        late.cancel()
        reply.cancel()  # nobody waits for it any more
        client.close()


async def _level(url: str, frames: list[bytes], clients: int, rate: float, start: float,
                 warm_until: float, stop: float, loop: str) -> list[_ClientStats]:
    stats = [_ClientStats() for _ in range(clients)]
    client = _closed_loop_client if loop == "closed" else _open_loop_client
    await asyncio.wait_for(
        asyncio.gather(*[client(url, frames, rate, start, warm_until, stop, one)
                         for one in stats]),
        timeout=stop - time.perf_counter() + 60)
    return stats


def run_level(server: ServerProcess, messages: list[str], clients: int, rate: float,
              seconds: float, warmup: float, loop: str = "open", malformed_clients: int = 0,
              flooding: FloodProcess | None = None,
              drain: float = DRAIN_SECONDS) -> LevelResult:
    """One level. With malformed clients: they run in `flooding` (a FloodProcess of this
    level's own if None) and wait up to `drain` s after the level for the answers still
    owed to them (0: they leave at its end, what is owed counted as such)."""
    url = f"ws://{HOST}:{server.port}/api/stream"
    assert server.process is not None, "run_level needs a started server"
    frames = [text_frame(text) for text in messages]  # masked once, sent many times
    kinds = malformed_messages(json.loads(messages[0])["keypoints"]) if malformed_clients else []
    flood, flood_cpu = FloodStats(), 0.0
    span = seconds + warmup + 1  # the seconds the CPU figures are shares of
    with contextlib.ExitStack() as stack:
        if malformed_clients and flooding is None:
            flooding = stack.enter_context(FloodProcess())
        cpu_before = tree_cpu_seconds(server.process.pid)
        load_before = time.process_time()
        busy_before = machine_busy_seconds()
        start = time.perf_counter() + 0.5
        warm_until = start + warmup
        stop = warm_until + seconds
        flooded = None
        if flooding is not None and malformed_clients:
            flooded = flooding.pool.submit(run_flood, url, kinds, malformed_clients, rate,
                                           start, stop, drain)
        # The load generator is Python too: its full collections would stall every client
        # (measured: 146-404 ms each on a busy machine), and count as the server's latency.
        gc.collect()
        gc.freeze()
        try:
            with MemorySampler(server.process.pid) as memory:
                stats = run_on_new_loop(_level(url, frames, clients, rate, start, warm_until,
                                               stop, loop))
        finally:
            gc.unfreeze()
        load_cpu = 100 * (time.process_time() - load_before) / span
        cpu_after = tree_cpu_seconds(server.process.pid)
        busy = machine_busy_seconds() - busy_before
        if flooded is not None:  # its wait for the answers still owed ends after the level
            flood, flood_cpu = flooded.result(timeout=drain + 60)
    latencies = [t for one in stats for t in one.latencies]
    ms = np.asarray(latencies) * 1000 if latencies else np.asarray([np.nan])
    cpu = other_cpu = None
    if cpu_before is not None and cpu_after is not None:
        cpu = 100 * (cpu_after - cpu_before) / span
        other_cpu = max(0.0, 100 * (busy - flood_cpu) / span - cpu - load_cpu)
    rss = memory.samples_mb()
    return LevelResult(
        clients=clients, rate_per_client=rate, seconds=seconds,
        sent=sum(one.sent for one in stats), answered=len(latencies),
        errors=sum(one.errors + one.closed for one in stats),
        closed=sum(one.closed for one in stats),
        unanswered=sum(one.unanswered for one in stats),
        matches_per_second=len(latencies) / seconds, p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)), max_ms=float(ms.max()),
        server_cpu_percent=cpu, load_cpu_percent=load_cpu,
        flood_cpu_percent=100 * flood_cpu / span,
        other_cpu_percent=other_cpu, loop=loop, latency_counts=latency_counts(ms),
        superseded=sum(one.superseded for one in stats),
        min_client_matches_per_second=min(len(one.latencies) for one in stats) / seconds,
        malformed_clients=malformed_clients, malformed_sent=flood.sent,
        malformed_answered_right=flood.answered_right,
        malformed_answered_after_stop=flood.answered_after_stop, malformed_owed=flood.owed,
        malformed_unanswered=flood.unanswered, malformed_wrong=flood.wrong,
        malformed_drain_seconds=drain if malformed_clients else 0.0,
        server_rss_start_mb=float(rss[0]) if len(rss) else None,
        server_rss_end_mb=float(rss[-1]) if len(rss) else None,
        server_rss_max_mb=float(rss.max()) if len(rss) else None)
