"""Records what a page sends, and proves that only keypoints leave it."""

from __future__ import annotations

import json

ALLOWED_QUERY_KEYS = {"id", "keypoints", "width", "height", "k", "metric", "mirror",
                      "one_per_frame"}
IMAGE_MARKERS = ("data:image", "/9j/", "iVBORw0KGgo", "R0lGOD", "UklGR", "\xff\xd8\xff")
MAX_QUERY_BYTES = 2048


class Traffic:
    def __init__(self, page, origin: str):
        self.origin = origin
        self.requests: list[dict] = []
        self.ws_frames: list[str | bytes] = []
        self.ws_urls: list[str] = []
        page.on("request", self._on_request)
        page.on("websocket", self._on_websocket)

    def _on_request(self, request) -> None:
        self.requests.append({"url": request.url, "method": request.method,
                              "body": request.post_data_buffer,
                              "type": request.resource_type})

    def _on_websocket(self, ws) -> None:
        self.ws_urls.append(ws.url)
        ws.on("framesent", lambda payload: self.ws_frames.append(payload))

    def assert_only_keypoints_left(self) -> None:
        ws_origin = self.origin.replace("http://", "ws://", 1)
        assert self.requests, "no request was recorded"
        for request in self.requests:
            url = request["url"]
            assert url.startswith((self.origin + "/", "data:", "blob:")), url
            assert request["method"] in ("GET", "POST"), request
            if request["body"]:
                assert request["method"] == "POST" and url == self.origin + "/api/search", url
                check_query(request["body"].decode())
        for url in self.ws_urls:
            assert url == ws_origin + "/api/stream", url
        for frame in self.ws_frames:
            assert isinstance(frame, str), "binary frame sent"
            check_query(frame)


def check_query(text: str) -> None:
    """A message the page sent must be a small pose query, with no room for an image."""
    assert len(text.encode()) <= MAX_QUERY_BYTES, len(text)
    assert not any(marker in text for marker in IMAGE_MARKERS)
    query = json.loads(text)
    assert set(query) <= ALLOWED_QUERY_KEYS, set(query)
    keypoints = query["keypoints"]
    assert len(keypoints) == 17 and all(len(k) == 3 for k in keypoints)
    assert all(isinstance(v, (int, float)) for k in keypoints for v in k)
    assert isinstance(query["width"], (int, float)) and isinstance(query["height"], (int, float))
