"""The WebSocket stream `ws://HOST:PORT/api/stream`: one pose in, its matches out, at camera rate.

Client -> server, one text message per frame: the POST /api/search body, e.g.
  {"id": 7, "keypoints": [[x, y, score] x 17], "width": 640, "height": 480,
   "k": 5, "metric": "cosine", "mirror": true}
Server -> client, one reply per message, in the order the messages came:
  {"type": "matches", "id": 7, "matches": [...], "elapsed_ms": 1.2}
  {"type": "superseded", "id": 7}
  {"type": "error", "id": 7, "code": "invalid" | "bad_pose" | "bad_motion" | "rate_limited"
   | "too_large" | "unsupported", "detail": "..."}
The codes: "invalid", a malformed message (detail names the field, e.g. "k: Input should be
greater than or equal to 1"); "bad_pose", a pose too uncertain or degenerate to match;
"bad_motion", a movement that cannot be searched; "rate_limited", over the message rate;
"too_large", a message over 16 KB, and "unsupported", a binary frame: both then close the
connection. The id is null where the message's own could not be read.
A pose is worth answering only while it is the newest from its client: the server searches
for one pose of a connection at a time, and when several of its poses are waiting by then,
it answers the newest with matches and each older one with a "superseded" frame (with its
id). A client that keeps one query in flight never sees one; a client that sends at camera
rate whatever the replies do gets the matches of its latest pose instead of a backlog.
A bad message gets an error frame and the connection stays open. The connection is closed
with 1003 for a binary frame, 1009 for an oversize message, 1008 for a flood and 1013
when the server is full. (`movemirror serve` closes a message over 64 KB with 1009 at once,
before it is read, its "too_large" error frame first, id null.)

Refused messages have a budget per connection: 4 at once, then 1 a second. Each message
answered with an "invalid", "bad_pose", "too_large" or "unsupported" error frame spends one;
good messages spend nothing (a page never sends a refused one), and "rate_limited" has its
own limit. A connection past its budget is slowed, not cut off: each further refused
message is answered only once the budget has refilled by one, and until then the server
reads nothing more from it (the client's socket fills up and its sends wait; the keepalive
waits for its pongs meanwhile). So every message still gets its answer, in order, only
later: a client that keeps sending refused messages gets 1 answer a second. A refused
message that ends the connection (binary, oversize) is answered, and the connection closed,
once the budget is full again (from empty it refills in 4 seconds), so a client gains
nothing by reconnecting after such a close: across its connections it still gets 1 answer
a second.

Movement: a message may add `"motion": true` and `"time": seconds` (the client's clock, e.g.
performance.now() / 1000; left out, the server's time of arrival). The server keeps the
poses of the connection's last 2 seconds sent with motion (keypoints and times only, in
memory, dropped when the connection closes; a time not after the previous one starts over),
superseded ones included, and answers such a message with the movement match as well:
  {"type": "matches", "id": 7, "matches": [...], "movement_s": 1.4,
   "motion": [{"track": "...", "start": 3.1, "end": 4.5, "speed": 0.9, "distance": 0.21,
               "mirrored": false, "id": "...", "thumbnail": "/bank/...", "file": "clip.mp4",
               "frame_time": 3.1, "credit": null, "licence": null, "published_source": null,
               "image_pose": [[x, y, score] * 17], "keypoints": null}, ...],
   "elapsed_ms": 4.0}
`motion` lists the k windows of the bank's tracks that move most like those poses (at most
one per track, best first; PoseBank.search_motion with the message's k, metric and mirror):
the track's seconds `start` to `end` match your last `movement_s` seconds, at `speed` your
pace relative to the clip's; the other fields describe its pose at `start`. It is empty
until the poses held span 1 second (`movement_s` says how much they span). Play a track on
from `end` with GET /api/track?name=... (its frames' times, images and keypoints). A
metric movement search cannot use (torso) gets a "bad_motion" error frame.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass

import orjson
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from movemirror.errors import MotionError, PoseError, UnknownMetricError
from movemirror.server.close_codes import (
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_TRY_LATER,
    CLOSE_UNSUPPORTED,
)
from movemirror.server.limits import Limits, TokenBucket
from movemirror.server.movement import RecentPoses
from movemirror.server.protocol import Query, parse_query
from movemirror.server.schemas import describe_error
from movemirror.server.state import ServerState, get_ws_state
from movemirror.server.websocket import (
    answer_too_big_with,
    can_send_many,
    gone_event,
    keepalive_waits_while,
    send_many_message,
)

router = APIRouter()


def _json(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what only json writes: a lone surrogate, an integer past 64 bits
        return json.dumps(value)


def error_frame(code: str, detail: str, query_id=None) -> str:
    return _json({"type": "error", "id": query_id, "code": code, "detail": detail})


def superseded_frame(query_id) -> str:
    # Sent for most messages of a client that outpaces the server: built without json's
    # dict machinery, like the matches frame.
    return f'{{"type":"superseded","id":{_json(query_id)}}}'


def _query_id(text: str):
    """The id of a message that failed validation, when it can be read at all."""
    try:
        value = orjson.loads(text).get("id")  # several times faster than json
    except orjson.JSONDecodeError:
        try:  # what only json reads: NaN, integers past 64 bits
            value = json.loads(text).get("id")
        except (ValueError, AttributeError, RecursionError):
            return None
    except AttributeError:  # JSON, but not an object
        return None
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


@router.get(
    "/api/stream",
    tags=["search"],
    summary="WebSocket: continuous matching (connect with ws://)",
    description=__doc__,
    status_code=426,
    responses={426: {"description": "this path takes WebSocket connections only"}},
)
def stream_docs() -> JSONResponse:
    return JSONResponse({"detail": "connect with a WebSocket"}, status_code=426,
                        headers={"Upgrade": "websocket"})


@dataclass(slots=True)
class Waiting:
    """A valid query not yet taken for search; superseded once a newer one arrives."""

    query: Query
    started: float
    superseded: bool = False


class OwedReplies:
    """What one connection is owed, in the order its messages came: ready frames, queries to
    answer (at most one not superseded) and finally a close (code, reason).

    Bounded: the reader waits while `limit` replies are owed, so a client that does not read
    cannot make the server buffer more.
    """

    def __init__(self, limit: int):
        self._items: deque = deque()
        self._limit = limit
        self._newest: Waiting | None = None
        self._changed = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def put(self, item) -> None:
        if isinstance(item, Waiting):
            if self._newest is not None:
                self._newest.superseded = True
            self._newest = item
        self._items.append(item)
        self._changed.set()
        if len(self._items) >= self._limit:
            self._room.clear()

    async def room(self) -> None:
        await self._room.wait()

    async def take(self):
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        return self._pop()

    def take_nowait(self):
        """The item owed next, or None when nothing is owed; without waiting."""
        return self._pop() if self._items else None

    def _pop(self):
        item = self._items.popleft()
        if item is self._newest:
            self._newest = None
        if len(self._items) < self._limit:
            self._room.set()
        return item

    def take_close(self) -> tuple[int, str] | None:
        """The close, (code, reason), if it is owed next; without waiting."""
        if self._items and isinstance(self._items[0], tuple):
            return self._items.popleft()
        return None

    def take_ready(self) -> list[str]:
        """The frames owed next that need no search (ready frames, superseded queries), up
        to the next query to answer or close; without waiting."""
        ready = []
        while self._items:
            item = self._items[0]
            if isinstance(item, str):
                ready.append(item)
            elif isinstance(item, Waiting) and item.superseded:
                ready.append(superseded_frame(item.query.id))
            else:
                break
            self._items.popleft()
        if len(self._items) < self._limit:
            self._room.set()
        return ready


@router.websocket("/api/stream")
async def stream(websocket: WebSocket, state: ServerState = Depends(get_ws_state)) -> None:
    limits = state.limits
    await websocket.accept()
    if state.connections >= limits.max_connections:
        await websocket.close(CLOSE_TRY_LATER, "server is full, try again later")
        return
    state.connections += 1
    replies = OwedReplies(limits.max_owed_replies)
    recent = RecentPoses()
    refusals = TokenBucket(limits.refused_per_second, limits.refused_burst)
    # Slowed (or held before its close), its pong may wait unread behind its own messages:
    # no reason for the keepalive to close it.
    keepalive_waits_while(websocket.scope, lambda: refusals.available() < refusals.capacity)
    answer_too_big_with(websocket.scope, lambda size, exact: error_frame(
        "too_large", _too_large(size, limits, exact)))
    sender = asyncio.create_task(_send_replies(websocket, state, replies, recent, refusals))
    reader = asyncio.create_task(_receive_queries(websocket, state, replies, recent, refusals))
    gone = gone_event(websocket.scope)
    watcher = asyncio.create_task(gone.wait()) if gone is not None else None
    try:
        await _until_both_end_one_fails_or_gone(reader, sender, watcher)
    except WebSocketDisconnect:
        pass
    finally:
        for task in (reader, sender, watcher):
            if task is not None:
                task.cancel()
        state.connections -= 1


async def _until_both_end_one_fails_or_gone(reader: asyncio.Task, sender: asyncio.Task,
                                 gone: asyncio.Task | None) -> None:
    """Waits for both to end, or for the first to fail (raising its error), or for the
    connection to be gone (`gone` done, where the server says so). While the reader is slowed
    or holds a close until the budget is full, it reads nothing, so it would learn that the
    client left, or that the server is stopping, only once it had paid the budget for
    messages from a client long gone (measured: for minutes after a flood, holding its
    connection slot and the server's shutdown). The sender sees it too, but only at its next
    write."""
    waiting = {reader, sender} if gone is None else {reader, sender, gone}
    while not (reader.done() and sender.done()):
        done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if gone in done:
            return
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def _receive_queries(websocket: WebSocket, state: ServerState, replies: OwedReplies,
                           recent: RecentPoses, refusals: TokenBucket) -> None:
    """Reads messages until the client leaves or breaks a limit (then queues the close).

    Messages are read while a search is running, so a newer pose can supersede a waiting one.
    While the connection owes its refused-message budget, nothing is read (see Limits).
    """
    limits = state.limits
    bucket = TokenBucket(limits.rate_per_second, limits.burst)
    refused_in_a_row = 0
    while True:
        await replies.room()
        await _pay_refusals(refusals)
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            await _refuse_and_close(refusals, replies,
                                    error_frame("unsupported", "send poses as JSON text"),
                                    (CLOSE_UNSUPPORTED, "binary frames are not accepted"))
            return
        if len(text) > limits.max_message_bytes:
            await _refuse_and_close(refusals, replies,
                                    error_frame("too_large", _too_large(len(text), limits)),
                                    (CLOSE_TOO_BIG, "message too big"))
            return
        if not bucket.take():
            refused_in_a_row += 1
            if refused_in_a_row >= limits.max_refused_in_a_row:
                replies.put((CLOSE_POLICY, "too many messages"))
                return
            detail = f"more than {limits.rate_per_second:g} messages a second"
            replies.put(error_frame("rate_limited", detail, _query_id(text)))
            continue
        refused_in_a_row = 0
        started = time.perf_counter()
        try:
            query = parse_query(text)
        except ValidationError as error:
            await _refuse(refusals, replies,
                          error_frame("invalid", describe_error(error), _query_id(text)))
            continue
        if query.motion:
            if query.time is None:
                query.time = time.monotonic()
            recent.add(query.time, query.keypoints)
        replies.put(Waiting(query, started))


def _too_large(size: int, limits: Limits, exact: bool = True) -> str:
    """The detail of a too_large frame; exact False: the message was more than size bytes."""
    return (f"message of {'' if exact else 'more than '}{size} bytes; the limit is "
            f"{limits.max_message_bytes}")


async def _refuse(refusals: TokenBucket, replies: OwedReplies, frame: str) -> None:
    """Owes the refused message's error frame once the budget allows (see _refused)."""
    await _refused(refusals)
    replies.put(frame)


async def _refuse_and_close(refusals: TokenBucket, replies: OwedReplies, frame: str,
                            close: tuple[int, str]) -> None:
    """Owes the refused message's error frame and the close behind it once the budget is
    full again. Closed at once, a flooding client would reconnect at once with a fresh
    budget (measured: a quarter of its messages came on a new connection, each handshake
    ~800 µs of server CPU); so the budget it reconnects with is one it has waited for, and
    across its connections it is answered at the budget's rate. A budget per address would
    do it too, but would slow the good clients behind the same address (a NAT, a load
    balancer)."""
    refusals.reserve()
    wait = refusals.seconds_until_full()
    while wait > 0:
        await asyncio.sleep(wait)
        wait = refusals.seconds_until_full()
    replies.put(frame)
    replies.put(close)


async def _refused(refusals: TokenBucket) -> None:
    """Spends the budget on a refused message: past it, returns only once the budget has
    refilled by one (the refusal is answered then, and meanwhile the socket is not read)."""
    refusals.reserve()
    await _pay_refusals(refusals)


async def _pay_refusals(refusals: TokenBucket) -> None:
    owed = refusals.owed_seconds()
    while owed > 0:
        await asyncio.sleep(owed)
        owed = refusals.owed_seconds()


async def _send_replies(websocket: WebSocket, state: ServerState, replies: OwedReplies,
                        recent: RecentPoses, refusals: TokenBucket) -> None:
    """Sends each reply in order, searching for the queries still worth it; a (code, reason)
    closes the connection. The frames ready behind a reply go with it, in one write where
    the server can (movemirror.server.websocket)."""
    send_many = can_send_many(websocket.scope)
    while True:
        texts, close = await _next_write(replies, state, recent, refusals)
        if send_many and texts:
            # A close owed right behind (after a bad message's error frame) goes in the
            # same write: a client that is closed costs one write fewer.
            if close is not None or len(texts) > 1:
                await websocket.send(send_many_message(texts, close))
            else:
                await websocket.send_text(texts[0])
            if close is not None:
                return
            continue
        for text in texts:
            await websocket.send_text(text)
        if close is not None:
            await websocket.close(*close)
            return


async def _next_write(replies: OwedReplies, state: ServerState, recent: RecentPoses,
                      refusals: TokenBucket) -> tuple[list[str], tuple[int, str] | None]:
    """The frames owed next that can go out together, and the close owed right behind them
    (or None): everything ready up to and including one search's answer, then what is
    ready behind it. A superseded query always has its newer query behind it, so the
    frames of a burst read in pieces still go out with an answer, not in writes of their own."""
    texts: list[str] = []
    item = await replies.take()
    while item is not None:
        if isinstance(item, tuple):
            return texts, item
        if isinstance(item, str):
            texts.append(item)
        elif item.superseded:
            texts.append(superseded_frame(item.query.id))
        else:
            texts.append(await _answer(state, item, recent, refusals))
            texts.extend(replies.take_ready())
            return texts, replies.take_close()
        item = replies.take_nowait()
    return texts, None


async def _answer(state: ServerState, waiting: Waiting, recent: RecentPoses,
                  refusals: TokenBucket) -> str:
    query = waiting.query
    try:
        hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror,
                                          query.one_per_frame)
    except PoseError as error:
        await _refused(refusals)  # the reader, seeing the budget owed, waits too
        return error_frame("bad_pose", str(error), query.id)
    if state.query_log is not None:
        state.query_log.record(query.keypoints, hits, query.metric)
    try:
        motion = await _motion_part(state, query, recent) if query.motion else ""
    except (MotionError, UnknownMetricError) as error:
        return error_frame("bad_motion", str(error), query.id)
    elapsed = (time.perf_counter() - waiting.started) * 1000
    return (f'{{"type":"matches","id":{_json(query.id)},'
            f'"matches":{state.formatter.as_json(hits)},{motion}"elapsed_ms":{elapsed:.3f}}}')


async def _motion_part(state: ServerState, query: Query, recent: RecentPoses) -> str:
    """The reply's movement fields, each followed by a comma."""
    assert query.time is not None  # given on arrival
    movement = recent.movement(query.time)
    found = [] if movement is None else await state.matcher.search_motion(
        *movement, k=query.k, metric=query.metric, mirror=query.mirror)
    return (f'"movement_s":{recent.span(query.time):.3f},'
            f'"motion":{state.formatter.motion_as_json(found)},')
