"""What the server's routes share: the bank, its matcher and formatter, the limits and the
query log (when on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request, WebSocket

from movemirror.bank import PoseBank
from movemirror.server.coverage_cache import CoverageCache
from movemirror.server.limits import Limits, RateLimiter
from movemirror.server.matcher import Matcher
from movemirror.server.query_log import QueryLog
from movemirror.server.records import MatchFormatter


@dataclass
class ServerState:
    bank: PoseBank
    matcher: Matcher
    formatter: MatchFormatter
    limits: Limits
    web_modules: Path | None
    search_limiter: RateLimiter
    query_log: QueryLog | None = None  # serve --log-queries
    coverage: CoverageCache = field(default_factory=CoverageCache)  # GET /api/coverage
    connections: int = 0
    reloads: int = 0  # new bank versions picked up (serve --follow)


async def get_state(request: Request) -> ServerState:
    return request.app.state.movemirror


async def get_ws_state(websocket: WebSocket) -> ServerState:
    return websocket.app.state.movemirror
