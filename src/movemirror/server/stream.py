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

import json
import time

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from movemirror.server.limits import TokenBucket
from movemirror.server.schemas import PoseQuery, describe_error
from movemirror.server.state import ServerState, get_ws_state
from movemirror.vectors import PoseError

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
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


@router.get(
    "/api/stream",
    tags=["search"],
    summary="WebSocket: continuous matching (connect with ws://)",
    status_code=426,
    responses={426: {"description": "this path takes WebSocket connections only"}},
)
def stream_docs() -> JSONResponse:
    return JSONResponse({"detail": "connect with a WebSocket"}, status_code=426,
                        headers={"Upgrade": "websocket"})


stream_docs.__doc__ = __doc__


@router.websocket("/api/stream")
async def stream(websocket: WebSocket, state: ServerState = Depends(get_ws_state)) -> None:
    limits = state.limits
    await websocket.accept()
    if state.connections >= limits.max_connections:
        await websocket.close(CLOSE_TRY_LATER, "server is full, try again later")
        return
    state.connections += 1
    bucket = TokenBucket(limits.rate_per_second, limits.burst)
    refused_in_a_row = 0
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await websocket.send_text(error_frame("unsupported", "send poses as JSON text"))
                await websocket.close(CLOSE_UNSUPPORTED, "binary frames are not accepted")
                return
            if len(text) > limits.max_message_bytes:
                detail = f"message of {len(text)} bytes; the limit is {limits.max_message_bytes}"
                await websocket.send_text(error_frame("too_large", detail))
                await websocket.close(CLOSE_TOO_BIG, "message too big")
                return
            if not bucket.take():
                refused_in_a_row += 1
                if refused_in_a_row >= limits.max_refused_in_a_row:
                    await websocket.close(CLOSE_POLICY, "too many messages")
                    return
                detail = f"more than {limits.rate_per_second:g} messages a second"
                await websocket.send_text(error_frame("rate_limited", detail, _query_id(text)))
                continue
            refused_in_a_row = 0
            await websocket.send_text(await _answer(state, text))
    except WebSocketDisconnect:
        return
    finally:
        state.connections -= 1


async def _answer(state: ServerState, text: str) -> str:
    start = time.perf_counter()
    try:
        query = PoseQuery.model_validate_json(text)
    except ValidationError as error:
        return error_frame("invalid", describe_error(error), _query_id(text))
    try:
        hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror)
    except PoseError as error:
        return error_frame("bad_pose", str(error), query.id)
    elapsed = (time.perf_counter() - start) * 1000
    return (f'{{"type":"matches","id":{json.dumps(query.id)},'
            f'"matches":{state.formatter.as_json(hits)},"elapsed_ms":{elapsed:.3f}}}')
