"""POST /api/search (one pose), GET /api/track (a track's frames) and GET /api/health."""

from __future__ import annotations

import os
import time

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from movemirror.bank.storage import display_name
from movemirror.errors import PoseError
from movemirror.server.limits import Limits
from movemirror.server.schemas import (
    ErrorBody,
    Health,
    PoseQuery,
    SearchResponse,
    TrackFrame,
    TrackFrames,
)
from movemirror.server.state import ServerState, get_state

_DEFAULT = Limits()  # what the docs quote (movemirror serve's limits)
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
        413: {"model": ErrorBody, "description": "body larger than the limit "
                                                  f"({_DEFAULT.max_body_bytes} bytes)"},
        429: {"model": ErrorBody, "description": "too many searches from this address ("
                                                  f"{_DEFAULT.search_rate_per_second:g} a "
                                                  "second); retry after a second"},
        415: {"model": ErrorBody, "description": "body is not JSON (no endpoint accepts images)"},
        422: {"model": ErrorBody, "description": "malformed query (detail: a list, one entry "
                                                  "per problem), or a pose too uncertain or "
                                                  "degenerate to match (detail: a sentence "
                                                  "starting 'pose:')"},
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
        hits = await state.matcher.search(query.keypoints, query.k, query.metric, query.mirror,
                                          query.one_per_frame)
    except PoseError as error:
        raise HTTPException(422, f"pose: {error}") from None
    if state.query_log is not None:
        state.query_log.record(query.keypoints, hits, query.metric)
    return SearchResponse.model_validate({"id": query.id, "matches": state.formatter.as_dicts(hits),
                                          "elapsed_ms": (time.perf_counter() - start) * 1000})


@router.get(
    "/track",
    response_model=TrackFrames,
    summary="The frames of one track, to play a movement match on",
    responses={404: {"model": ErrorBody,
                     "description": "no moving track of that name in the bank"}},
)
def track(name: str = Query(description="a track's name, as a movement match gives it"),
          start: float | None = Query(None, description="from this frame time (seconds)"),
          end: float | None = Query(None, description="up to this frame time (seconds)"),
          state: ServerState = Depends(get_state)) -> TrackFrames:
    """The frames of a track in time order: time, pose id, image URL (null for a bank built
    from keypoints alone: draw the keypoints) and keypoints, from `start` to `end`."""
    tracks = state.bank.motion_index().tracks
    j = tracks.position(name)
    if j is None:
        raise HTTPException(404, f"no moving track named {name!r} in this bank")
    span = slice(tracks.first[j], tracks.stop[j])
    times, rows = tracks.times[span], tracks.rows[span]
    keep = np.ones(len(times), bool)
    if start is not None:
        keep &= times >= start
    if end is not None:
        keep &= times <= end
    frames = []
    for t, row in zip(times[keep].tolist(), rows[keep].tolist(), strict=True):
        info = state.formatter.describe(row)
        frames.append(TrackFrame(time=t, id=info["id"], thumbnail=info["thumbnail"],
                                 image_pose=info["image_pose"],
                                 keypoints=state.bank.keypoints[row].tolist()))
    return TrackFrames(track=name, frames=frames)
