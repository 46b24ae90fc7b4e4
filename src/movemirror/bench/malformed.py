"""bench serve's flood: clients sending malformed stream messages, each checked for the
answer the protocol owes it.

Each message is a well-formed query (a real pose) with one fault, of the kinds the stream
refuses (movemirror.server.stream): an error frame with its code, and for the kinds that
end the connection, the close code after it. The stream answers a connection past its
budget for refused messages only at the budget's rate, so after the level each client waits
a few seconds (DRAIN_SECONDS) for the answers still owed; those it still lacks then are
counted as owed, apart from answers lost (the connection ended without them) and wrong ones.
The malformed clients run in a process of their own (FloodProcess, run_flood), so that their
work is never done on the good clients' event loop.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from movemirror.bench.event_loop import run_on_new_loop
from movemirror.bench.frame_clock import FrameClock
from movemirror.bench.load_client import (
    ERROR,
    OP_BINARY,
    SUPERSEDED,
    ConnectionEnded,
    LoadClient,
    client_frame,
    text_frame,
)
from movemirror.server.close_codes import CLOSE_TOO_BIG, CLOSE_UNSUPPORTED
from movemirror.server.limits import Limits

ERROR_PREFIX_BYTES = 64  # enough of an error frame to read its "code"


@dataclass(frozen=True)
class Malformed:
    name: str
    frame: bytes  # the WebSocket frame, masked once
    code: str  # the error frame's "code"
    close: int | None = None  # the close code that follows, for the kinds that end the connection
    # Valid to the schema, so searched like a good pose (its fault shows there): a newer query
    # of the same client may supersede it first, as it would a good one.
    searched: bool = False

    def answered_right(self, prefix: bytes) -> bool:
        """Whether a reply (its first ERROR_PREFIX_BYTES bytes) is the answer owed: this
        message's error frame (or for a searched kind, a superseded frame)."""
        if self.searched and prefix.startswith(SUPERSEDED):
            return True
        return prefix.startswith(ERROR) and f'"code":"{self.code}"'.encode() in prefix


def malformed_messages(pose: list[list[float]], width: float = 640,
                       height: float = 480) -> list[Malformed]:
    """One of each kind, made from a good pose (17 x [x, y, score])."""
    good = {"id": "bad", "keypoints": pose, "width": width, "height": height, "k": 5}

    def text(**changes) -> bytes:
        return text_frame(json.dumps({**good, **changes}))

    too_big = json.dumps(good) + " " * Limits().max_message_bytes
    return [
        Malformed("not JSON", text_frame(json.dumps(good)[:-7]), "invalid"),
        Malformed("16 keypoints", text(keypoints=pose[:16]), "invalid"),
        Malformed("2 numbers a keypoint", text(keypoints=[p[:2] for p in pose]), "invalid"),
        Malformed("NaN", text(keypoints=[[float("nan"), *pose[0][1:]], *pose[1:]]), "invalid"),
        Malformed("unknown field", text(colour="red"), "invalid"),
        Malformed("k as text", text(k="five"), "invalid"),
        Malformed("no confident keypoint", text(keypoints=[[x, y, 0.0] for x, y, _ in pose]),
                  "bad_pose", searched=True),
        Malformed("oversized", text_frame(too_big), "too_large", close=CLOSE_TOO_BIG),
        Malformed("binary", client_frame(OP_BINARY, json.dumps(good).encode()), "unsupported",
                  close=CLOSE_UNSUPPORTED),
    ]


# How long after the level the malformed clients wait for the answers still owed to them: the
# server answers a connection past its refused-message budget only at the budget's rate
# (movemirror.server.limits), so some come after the level. The latest, at the default 4 at
# once then 1 a second: a connection's 8th message ending it, held until the budget is full
# again, 8 s after its first (4 at once, 3 more at 1 a second, then 5 s to refill).
DRAIN_SECONDS = 10.0


@dataclass
class FloodStats:
    """The malformed clients' messages, and whether each got the answer the protocol owes it
    (its error frame, and for the kinds that end the connection, the close code after it)."""

    sent: int = 0
    answered_right: int = 0
    answered_after_stop: int = 0  # answers (right or wrong) that came once the level was over
    owed: int = 0  # not yet answered when the wait after the level ended, the connection open
    unanswered: int = 0  # lost: the connection ended without their answers
    wrong: dict[str, int] = field(default_factory=dict)  # kind -> answers not as owed

    def count_wrong(self, kind: str) -> None:
        self.wrong[kind] = self.wrong.get(kind, 0) + 1


async def malformed_client(url: str, kinds: list[Malformed], rate: float, start: float,
                            stop: float, stats: FloodStats,
                            drain: float = DRAIN_SECONDS) -> None:
    """Sends malformed messages at `rate` until `stop`, the kinds in turn, and checks each
    one's answer; after a kind that ends the connection, it reconnects for the next message.
    Then it waits up to `drain` seconds for the answers still owed (a server may answer a
    client that keeps being refused only at a budget's rate)."""
    pending: deque[Malformed] = deque()
    closing_reply: list[bytes] = []  # the error frame before a close
    deadline = stop + drain

    def on_reply(prefix: bytes) -> None:
        if time.perf_counter() >= stop:
            stats.answered_after_stop += 1
        if not pending:
            stats.count_wrong("a reply to nothing sent")
            return
        kind = pending.popleft()
        if kind.close is not None:
            closing_reply.append(prefix)
        elif kind.answered_right(prefix):
            stats.answered_right += 1
        else:
            stats.count_wrong(kind.name)

    client: LoadClient | None = None
    clock = FrameClock(rate, start, stop, first=random.randrange(len(kinds)))
    try:
        while await clock.wait():
            if client is None:
                client = await LoadClient.connect_url(url, on_reply, ERROR_PREFIX_BYTES)
            kind = kinds[clock.frame % len(kinds)]
            try:
                client.send(kind.frame)
            except ConnectionEnded:  # closed by the server, though nothing asked for it
                stats.count_wrong("connection closed unasked")
                stats.unanswered += len(pending)
                pending.clear()
                client = None
                continue
            pending.append(kind)
            stats.sent += 1
            clock.advance()
            if kind.close is None:
                continue
            try:  # the close comes after the answers owed before it, however late
                code = await asyncio.wait_for(asyncio.shield(client.ended),
                                              max(deadline - time.perf_counter(), 0.0))
            except TimeoutError:
                break  # past the deadline: what is pending is still owed
            client.close()
            client = None
            if pending:  # no error frame before the close (nor for what came before)
                stats.unanswered += len(pending)
                pending.clear()
            elif kind.answered_right(closing_reply[-1]) and code == kind.close:
                stats.answered_right += 1
            else:
                stats.count_wrong(kind.name)
            closing_reply.clear()
            now = time.perf_counter()
            if now > clock.due:
                clock.advance(now)  # the frames missed while it waited
        while pending and client is not None and not client.ended.done():
            if time.perf_counter() >= deadline:
                break
            await asyncio.sleep(0.05)  # the answers still owed
    finally:
        if client is not None:
            if pending and client.ended.done():  # ended with answers owed: lost
                stats.unanswered += len(pending)
            else:
                stats.owed += len(pending)
            client.close()
        else:
            stats.unanswered += len(pending)


async def _flood(url: str, kinds: list[Malformed], clients: int, rate: float, start: float,
                 stop: float, drain: float) -> FloodStats:
    flood = FloodStats()
    await asyncio.gather(*[malformed_client(url, kinds, rate, start, stop, flood, drain)
                           for _ in range(clients)])
    return flood


def _flood_process_ready() -> None:
    """Run in the flood's process before a level: its imports are then done."""


def run_flood(url: str, kinds: list[Malformed], clients: int, rate: float, start: float,
              stop: float, drain: float = DRAIN_SECONDS) -> tuple[FloodStats, float]:
    """In the flood's own process: the malformed clients (waiting up to `drain` s after
    `stop` for the answers still owed), and the CPU seconds they took."""
    cpu = time.process_time()
    flood = run_on_new_loop(_flood(url, kinds, clients, rate, start, stop, drain))
    return flood, time.process_time() - cpu


class FloodProcess:
    """A process of its own for the malformed clients, started (imports done) on entry: on
    the good clients' event loop their work would count as the server's latency. One serves
    any number of levels in turn (starting one takes ~2 s), idle between them.
    perf_counter is the system's monotonic clock, so both processes share a level's times."""

    def __enter__(self) -> FloodProcess:
        import multiprocessing

        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self.pool.submit(_flood_process_ready).result(timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(cancel_futures=True)
