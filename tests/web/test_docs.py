"""/docs renders the API offline: Swagger UI from web/node_modules, under its own narrow CSP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from movemirror.server import create_app
from movemirror.server.docs import DOCS_CONTENT_SECURITY_POLICY


def test_docs_page_has_its_own_narrow_policy_and_no_cdn(bank):
    with TestClient(create_app(bank)) as client:
        reply = client.get("/docs")
        page = client.get("/").headers["content-security-policy"]
        assert client.get("/redoc").status_code == 404  # FastAPI's CDN page is gone
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            assert client.get(f"/vendor/swagger-ui/{asset}").status_code == 200
    assert reply.status_code == 200
    assert reply.headers.get_list("content-security-policy") == [DOCS_CONTENT_SECURITY_POLICY]
    assert page != DOCS_CONTENT_SECURITY_POLICY
    assert "http" not in reply.text  # nothing from another origin
    assert not {"wasm", "blob:", "ws:"} & set(DOCS_CONTENT_SECURITY_POLICY.replace(";", " ")
                                              .replace("'", " ").split())


@pytest.mark.browser
def test_docs_render_the_api_with_no_failed_request(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    # Offline: any request that leaves this server fails the test.
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(live_server.url) else route.abort())
    page = context.new_page()
    failed, errors, outside = [], [], []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((live_server.url, "data:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(live_server.url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = page.eval_on_selector_all(".opblock-summary-path",
                                          "els => els.map(e => e.textContent.trim())")
        assert "/api/search" in paths and "/api/health" in paths
        assert page.is_visible(".info .title")
        # Opening an operation renders its schemas too.
        page.locator(".opblock-summary-path").get_by_text("/api/search", exact=True).click()
        page.wait_for_selector(".opblock-body", timeout=10_000)
        page.wait_for_timeout(500)
        assert failed == [] and outside == [], (failed, outside)
        assert errors == [], errors
    finally:
        context.close()


def test_the_api_says_what_every_field_and_error_body_is(bank):
    # Read as a stranger would: Match's distance, id and frame_time, the reply's elapsed_ms
    # and the health's bank_size once had no description, the error replies (413, 415, 422,
    # 429, 404) no body at all, and the stream's list of error codes left out two it sends.
    import re
    from pathlib import Path

    import movemirror.server

    with TestClient(create_app(bank)) as client:
        api = client.get("/openapi.json").json()
    schemas = api["components"]["schemas"]
    for name in ("PoseQuery", "Match", "SearchResponse", "Health", "TrackFrame", "TrackFrames",
                 "ErrorBody"):
        undescribed = [field for field, spec in schemas[name]["properties"].items()
                       if not spec.get("description")]
        assert undescribed == [], (name, undescribed)
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    search = api["paths"]["/api/search"]["post"]["responses"]
    for status in ("413", "415", "422", "429"):
        assert search[status]["content"]["application/json"]["schema"] == error_body, status
    track = api["paths"]["/api/track"]["get"]["responses"]
    assert track["404"]["content"]["application/json"]["schema"] == error_body
    source = "".join(path.read_text() for path in
                     Path(movemirror.server.__file__).parent.glob("*.py"))
    sent = set(re.findall(r'error_frame\(\s*"(\w+)"', source))
    assert {"invalid", "bad_pose", "unsupported"} <= sent
    stream = api["paths"]["/api/stream"]["get"]["description"]
    listed = re.search(r'"code": (.*?),\s*"detail"', stream, re.S).group(1)
    assert set(re.findall(r'"(\w+)"', listed)) == sent
