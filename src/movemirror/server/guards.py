"""HTTP guards: a body size cap, JSON-only bodies, and headers that keep the page local."""

from __future__ import annotations

import json

# The page may only talk to this server: images, scripts and connections from anywhere else
# are blocked by the browser, so nothing the camera sees can be sent elsewhere either.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
    "connect-src 'self' ws: wss:; style-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_CSP = b"content-security-policy"
SECURITY_HEADERS = [
    (_CSP, CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class GuardMiddleware:
    """Rejects bodies over max_body_bytes (413) and non-JSON bodies (415); adds headers."""

    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if scope["method"] in ("POST", "PUT", "PATCH"):
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                return await _reply(send, 413, f"body over {self.max_body_bytes} bytes")
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"application/json":
                return await _reply(send, 415, "send application/json; no endpoint takes images")
        received = 0
        too_large = False

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # End the body here; the app's reply is swapped for a 413 below.
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def send_with_headers(message):
            if too_large:
                if message["type"] == "http.response.start":
                    await _reply(send, 413, f"body over {self.max_body_bytes} bytes")
                return
            if message["type"] == "http.response.start":
                own = message.get("headers", [])
                # A response with its own, narrower policy (/docs) keeps it.
                has_policy = any(name.lower() == _CSP for name, _ in own)
                extra = [h for h in SECURITY_HEADERS if not (has_policy and h[0] == _CSP)]
                message = {**message, "headers": [*own, *extra]}
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
