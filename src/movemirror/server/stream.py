"""The WebSocket stream `ws://HOST:PORT/api/stream`: one pose in, its matches out, at camera rate.

Client -> server, one text message per frame: the POST /api/search body, e.g.
  {"id": 7, "keypoints": [[x, y, score] x 17], "width": 640, "height": 480,
   "k": 5, "metric": "cosine", "mirror": true}
Server -> client, one reply per message, in order:
  {"type": "matches", "id": 7, "matches": [...], "elapsed_ms": 1.2}
  {"type": "error", "id": 7, "code": "invalid" | "bad_pose" | "rate_limited", "detail": "..."}
A bad message gets an error frame and the connection stays open. The connection is closed
with 1003 for a binary frame, 1009 for an oversize message, 1008 for a flood and 1013
when the server is full.
"""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from movemirror.errors import PoseError
from movemirror.server.limits import TokenBucket
from movemirror.server.protocol import parse_query
from movemirror.server.schemas import describe_error
from movemirror.server.state import ServerState, get_ws_state

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013

router = APIRouter()


def error_frame(code: str, detail: str, query_id=None) -> str:
    return json.dumps({"type": "error", "id": query_id, "code": code, "detail": detail})


def _query_id(text: str):
    """The id of a message that failed validation, when it can be read at all."""
    try:
        value = json.loads(text).get("id")
    except (ValueError, AttributeError, RecursionError):
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


@router.websocket("/api/stream")
async def stream(websocket: WebSocket, state: ServerState = Depends(get_ws_state)) -> None:
    limits = state.limits
    await websocket.accept()
    if state.connections >= limits.max_connections:
        await websocket.close(CLOSE_TRY_LATER, "server is full, try again later")
        return
    state.connections += 1
    # Replies go out in order through a bounded queue, so a client may have several queries
    # in flight (they join the same search batches) but cannot make the server buffer more.
    outbox: asyncio.Queue = asyncio.Queue(maxsize=limits.max_in_flight)
    sender = asyncio.create_task(_send_replies(websocket, outbox))
    try:
        await _receive_queries(websocket, state, outbox)
        await outbox.put(None)
        await sender
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        while not outbox.empty():
            item = outbox.get_nowait()
            if isinstance(item, asyncio.Task):
                item.cancel()
        state.connections -= 1


async def _receive_queries(websocket: WebSocket, state: ServerState,
                           outbox: asyncio.Queue) -> None:
    """Reads messages until the client leaves or breaks a limit (then queues the close)."""
    limits = state.limits
    bucket = TokenBucket(limits.rate_per_second, limits.burst)
    refused_in_a_row = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            await outbox.put(error_frame("unsupported", "send poses as JSON text"))
            await outbox.put((CLOSE_UNSUPPORTED, "binary frames are not accepted"))
            return
        if len(text) > limits.max_message_bytes:
            detail = f"message of {len(text)} bytes; the limit is {limits.max_message_bytes}"
            await outbox.put(error_frame("too_large", detail))
            await outbox.put((CLOSE_TOO_BIG, "message too big"))
            return
        if not bucket.take():
            refused_in_a_row += 1
            if refused_in_a_row >= limits.max_refused_in_a_row:
                await outbox.put((CLOSE_POLICY, "too many messages"))
                return
            detail = f"more than {limits.rate_per_second:g} messages a second"
            await outbox.put(error_frame("rate_limited", detail, _query_id(text)))
            continue
        refused_in_a_row = 0
        await outbox.put(asyncio.create_task(_answer(state, text)))


async def _send_replies(websocket: WebSocket, outbox: asyncio.Queue) -> None:
    """Sends each reply (a text, or a task that makes one) in order; a (code, reason) closes."""
    while True:
        item = await outbox.get()
        if item is None:
            return
        if isinstance(item, tuple):
            await websocket.close(*item)
            return
        await websocket.send_text(await item if isinstance(item, asyncio.Task) else item)


async def _answer(state: ServerState, text: str) -> str:
    start = time.perf_counter()
    try:
        query = parse_query(text)
    except ValidationError as error:
        return error_frame("invalid", describe_error(error), _query_id(text))
    try:
        hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror)
    except PoseError as error:
        return error_frame("bad_pose", str(error), query.id)
    elapsed = (time.perf_counter() - start) * 1000
    return (f'{{"type":"matches","id":{json.dumps(query.id)},'
            f'"matches":{state.formatter.as_json(hits)},"elapsed_ms":{elapsed:.3f}}}')
