"""GET /api/coverage: the bank's coverage map for the page's Coverage view, and
GET /api/coverage/regions/{number}: the poses of one of its regions.

The map is computed once per server process (server.coverage_cache); until it is ready the
endpoints answer 202 with Retry-After.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from movemirror.server.matcher import Hit
from movemirror.server.state import ServerState, get_state

RETRY_SECONDS = 2

router = APIRouter(prefix="/api/coverage", tags=["coverage"])


@router.get(
    "",
    summary="The bank's coverage map: a sample of its poses on a 2-D map, its regions, and "
            "landmarks to place a live pose by",
    responses={202: {"description": "the map is being computed; retry after Retry-After "
                                    "seconds"},
               409: {"description": "the bank is too small for a map"}},
)
async def coverage_map(state: ServerState = Depends(get_state)):
    """`points`: [x, y, region number - 1] of up to 5,000 bank poses; `regions`: number,
    medoid (bank row), share of the poses drawn, phrases most of its poses share, x, y;
    `landmarks`: the normalised x/y (34 floats each, Move Mirror's vector without
    confidences) of the first `count` points: a pose is placed at the 1/distance-weighted mean
    position of its `neighbours` nearest landmarks."""
    cache = state.coverage
    if not cache.start(state.bank):
        return JSONResponse({"status": "computing"}, status_code=202,
                            headers={"Retry-After": str(RETRY_SECONDS)})
    if cache.error is not None:
        raise HTTPException(409, cache.error)
    return JSONResponse(cache.json)


@router.get(
    "/regions/{number}",
    summary="Poses of one region of the coverage map, nearest its medoid first",
    responses={404: {"description": "no such region"},
               202: {"description": "the map is being computed"}},
)
async def region(number: int = Path(ge=1, description="the region's number (1 = largest)"),
                 state: ServerState = Depends(get_state)):
    """Matches as `/api/search` gives them; `distance` is to the region's medoid pose."""
    from movemirror.coverage.page_map import region_members

    cache = state.coverage
    if not cache.start(state.bank):
        return JSONResponse({"status": "computing"}, status_code=202,
                            headers={"Retry-After": str(RETRY_SECONDS)})
    if cache.error is not None or cache.result is None:
        raise HTTPException(409, cache.error or "no map")
    try:
        rows, distances = region_members(state.bank, cache.result, number - 1)
    except IndexError as error:
        raise HTTPException(404, str(error)) from None
    hits = [Hit(int(r), float(d), False) for r, d in zip(rows, distances, strict=True)]
    return {"region": number, "matches": state.formatter.as_dicts(hits)}
