"""The FastAPI app: API, stream, page, vendor files and thumbnails for one bank."""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from movemirror import __version__
from movemirror.bank import PoseBank
from movemirror.index import DEFAULT_INDEX
from movemirror.server import api, coverage_api, stream
from movemirror.server.coverage_cache import CoverageCache
from movemirror.server.docs import docs_router
from movemirror.server.files import (
    STATIC_DIR,
    find_web_modules,
    page_router,
    thumbnail_router,
    vendor_router,
)
from movemirror.server.follow import follow as follow_bank
from movemirror.server.guards import GuardMiddleware
from movemirror.server.heap import freeze_the_heap
from movemirror.server.limits import Limits, RateLimiter
from movemirror.server.matcher import Matcher, hand_over_the_gil_sooner
from movemirror.server.query_log import QueryLog
from movemirror.server.records import MatchFormatter
from movemirror.server.shared_indexes import share_indexes
from movemirror.server.state import ServerState

DESCRIPTION = """Match a pose against a bank of poses from your own photos and videos.

The page sends keypoints only (17 x [x, y, score], PoseNet order); images never leave it.
Use `POST /api/search` for one pose, or the WebSocket `/api/stream` for a pose per camera
frame (see `GET /api/stream` for its protocol).
"""


def create_app(bank: PoseBank, *, web_modules: Path | None | bool = True,
               limits: Limits | None = None, query_log: QueryLog | None = None,
               follow: bool = False, coverage_map: str | None = None,
               shared_indexes: Path | None = None) -> FastAPI:
    """The server for one bank. web_modules: web/node_modules, True to find it, None for none;
    query_log: where to log the poses searched (off by default); follow: pick up each new
    version of the bank as it is committed (movemirror.server.follow); coverage_map: how the
    Coverage view's map is made, "umap" or "pca" (None: UMAP where installed);
    shared_indexes: the folder of indexes that the processes of `serve --workers` share
    (movemirror.server.shared_indexes), where follow finds or publishes each version's."""
    limits = limits or Limits()
    if web_modules is True:
        web_modules = find_web_modules()
    formatter = MatchFormatter(bank)
    matcher = Matcher(bank)
    hand_over_the_gil_sooner()
    state = ServerState(bank=bank, matcher=matcher, formatter=formatter, limits=limits,
                        web_modules=web_modules or None,
                        search_limiter=RateLimiter(limits.search_rate_per_second,
                                                   limits.search_burst),
                        query_log=query_log, coverage=CoverageCache(coverage_map))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        flusher = asyncio.create_task(query_log.flush_periodically()) if query_log else None
        follower = (asyncio.create_task(follow_bank(state, shared_indexes=shared_indexes))
                    if follow else None)
        freeze_the_heap()  # loaded and warmed: keep the collector's full passes short
        yield
        if follower is not None:
            follower.cancel()
        state.matcher.close()
        if flusher is not None and query_log is not None:
            flusher.cancel()
            query_log.flush()

    # /docs is our own page (movemirror.server.docs): FastAPI's loads its assets from a CDN.
    app = FastAPI(title="movemirror", description=DESCRIPTION, version=__version__,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.movemirror = state
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(GuardMiddleware, max_body_bytes=limits.max_body_bytes)
    app.include_router(api.router)
    app.include_router(stream.router)
    app.include_router(coverage_api.router)
    app.include_router(page_router())
    app.include_router(docs_router())
    app.include_router(vendor_router(state.web_modules))
    app.include_router(thumbnail_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


BANK_ENV = "MOVEMIRROR_SERVE_BANK"
INDEX_ENV = "MOVEMIRROR_SERVE_INDEX"
QUERY_LOG_ENV = "MOVEMIRROR_SERVE_QUERY_LOG"
FOLLOW_ENV = "MOVEMIRROR_SERVE_FOLLOW"
INDEXES_ENV = "MOVEMIRROR_SERVE_INDEXES"  # the supervisor's shared indexes (shared_indexes)


def app_from_environment() -> FastAPI:
    """The app for $MOVEMIRROR_SERVE_BANK: what each worker process of `serve --workers` runs."""
    index = os.environ.get(INDEX_ENV)
    bank = PoseBank.load(os.environ[BANK_ENV], index=index or DEFAULT_INDEX)
    shared = Path(os.environ[INDEXES_ENV]) if os.environ.get(INDEXES_ENV) else None
    if shared is not None:
        share_indexes(bank, shared)
    log_folder = os.environ.get(QUERY_LOG_ENV)
    app = create_app(bank, query_log=QueryLog(log_folder) if log_folder else None,
                     follow=os.environ.get(FOLLOW_ENV) == "1", shared_indexes=shared)
    app.state.movemirror.matcher.warm()
    return app


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # the only class it is registered for
    # FastAPI's default echoes the input back, which cannot be JSON when it holds NaN.
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)
