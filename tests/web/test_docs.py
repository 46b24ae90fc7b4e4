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
