"""The web experience: FastAPI server for the page, the search API and the pose stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from movemirror.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI is imported on first use, not by every `movemirror` command that only needs a
    # light module of this package (server.limits, imported by the CLI's bench commands).
    if name == "create_app":
        from movemirror.server.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
