"""POST /api/search (one pose) and GET /api/health."""

from __future__ import annotations

import os
import time

from fastapi import APIRouter, Depends, HTTPException, Request

from movemirror.bank.storage import display_name
from movemirror.errors import PoseError
from movemirror.server.schemas import Health, PoseQuery, SearchResponse
from movemirror.server.state import ServerState, get_state

router = APIRouter(prefix="/api", tags=["search"])


@router.get("/health", response_model=Health, summary="Server status, the bank's size and version")
def health(state: ServerState = Depends(get_state)) -> Health:
    path = state.bank.path
    return Health(status="ok", bank_size=len(state.bank),
                  bank=display_name(path) if path is not None else None,
                  bank_version=state.bank.generation,
                  web_modules=state.web_modules is not None, worker=os.getpid(),
                  query_log=state.query_log is not None)


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="The closest poses in the bank to one pose",
    responses={
        413: {"description": "body larger than the limit"},
        429: {"description": "too many searches from this address; retry after a second"},
        415: {"description": "body is not JSON (no endpoint accepts images)"},
        422: {"description": "malformed query, or a pose too uncertain or degenerate to match"},
    },
)
async def search(query: PoseQuery, request: Request,
                 state: ServerState = Depends(get_state)) -> SearchResponse:
    """Send 17 keypoints `[x, y, score]` (PoseNet order, pixels of a `width` x `height` frame);
    get the `k` nearest poses by `metric`, optionally also matching the mirrored pose.

    The WebSocket `/api/stream` takes the same body as a text message, once per camera frame,
    and answers each with `{"type": "matches", "id", "matches", "elapsed_ms"}`,
    `{"type": "superseded", "id"}` (a newer pose from the same client was waiting) or
    `{"type": "error", "id", "code", "detail"}`.
    """
    client = request.client.host if request.client else "unknown"
    if not state.search_limiter.allow(client):
        raise HTTPException(429, "too many searches; use the WebSocket stream for camera rate",
                            headers={"Retry-After": "1"})
    start = time.perf_counter()
    try:
        hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror)
    except PoseError as error:
        raise HTTPException(422, f"pose: {error}") from None
    if state.query_log is not None:
        state.query_log.record(query.keypoints, hits, query.metric)
    return SearchResponse.model_validate({"id": query.id, "matches": state.formatter.as_dicts(hits),
                                          "elapsed_ms": (time.perf_counter() - start) * 1000})
