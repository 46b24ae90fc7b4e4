"""The web experience: FastAPI server for the page, the search API and the pose stream."""

from movemirror.server.app import create_app

__all__ = ["create_app"]
