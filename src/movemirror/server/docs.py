"""The API's documentation at /docs: Swagger UI served from web/node_modules, never a CDN.

FastAPI's own /docs page loads Swagger UI from a CDN with an inline script, which the page's
Content-Security-Policy blocks and which an offline machine cannot reach. This page is a
static file with its script in /static/js/docs.js, under a policy narrower than the app's.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from movemirror.server.files import STATIC_DIR

# What /docs needs and nothing more: its own scripts and styles, the OpenAPI JSON, and the
# data: icons in Swagger UI's stylesheet. No workers, no WASM, no other origin.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY,
        })

    return router
