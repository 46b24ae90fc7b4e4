"""The page's Coverage view: the map as JSON (computed once, documented in OpenAPI), a live
pose placed on it by its nearest landmarks (the same in JS as in Python), and the view in
Chromium: the map drawn, your pose a moving dot, a click lists a region's poses."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from movemirror.bank import PoseBank
from movemirror.coverage.page_map import page_map, place_by_landmarks
from movemirror.server import create_app
from movemirror.vectors import XY, to_vectors

from .conftest import LiveServer
from .test_js_matches_python import run_js


def get_map(client, path="/api/coverage", timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        reply = client.get(path)
        if reply.status_code != 202:
            return reply
        assert reply.headers["Retry-After"]
        assert time.monotonic() < deadline, "the map was never ready"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def served_map(bank):
    with TestClient(create_app(bank, web_modules=None, coverage_map="pca")) as client:
        reply = get_map(client)
        assert reply.status_code == 200
        yield client, reply.json()


def test_the_map_holds_every_pose_its_regions_and_landmarks(served_map, bank):
    _, data = served_map
    assert data["method"] == "pca" and data["bank_size"] == len(bank)
    points = np.array(data["points"])
    assert points.shape == (len(bank), 3)  # a bank under 5,000 poses is drawn whole
    regions = data["regions"]
    assert [r["number"] for r in regions] == list(range(1, len(regions) + 1))
    assert sum(r["share"] for r in regions) == pytest.approx(1.0)
    shares = [np.mean(points[:, 2] == n) for n in range(len(regions))]
    np.testing.assert_allclose(shares, [r["share"] for r in regions])
    landmarks = data["landmarks"]
    assert len(landmarks["features"]) == landmarks["count"] * 34


def test_a_region_lists_its_own_poses_nearest_its_medoid_first(served_map, bank):
    client, data = served_map
    view = page_map(bank, "pca")
    reply = client.get("/api/coverage/regions/1").json()
    ids = {i: row for row, i in enumerate(bank.ids)}
    rows = [ids[m["id"]] for m in reply["matches"]]
    region_rows = set(view.drawn[view.region_of == 0].tolist())
    assert rows and set(rows) <= region_rows
    assert rows[0] == data["regions"][0]["medoid"]
    distances = [m["distance"] for m in reply["matches"]]
    assert distances == sorted(distances)
    assert all(m["thumbnail"].startswith("/bank/") for m in reply["matches"])
    assert client.get(f"/api/coverage/regions/{len(data['regions']) + 1}").status_code == 404
    assert client.get("/api/coverage/regions/0").status_code == 422


def test_the_map_is_computed_once_and_documented(served_map):
    client, data = served_map
    state = client.app.state.movemirror
    first = state.coverage.result
    assert get_map(client).json() == data
    assert state.coverage.result is first
    paths = client.get("/openapi.json").json()["paths"]
    assert "202" in paths["/api/coverage"]["get"]["responses"]
    assert "/api/coverage/regions/{number}" in paths


def test_a_bank_too_small_for_a_map_says_so(bank):
    small = PoseBank.from_keypoints(bank.keypoints[:2])
    with TestClient(create_app(small, web_modules=None, coverage_map="pca")) as client:
        reply = get_map(client)
    assert reply.status_code == 409 and "at least 3 poses" in reply.json()["detail"]


def test_the_page_places_a_pose_as_python_does(served_map, bank):
    _, data = served_map
    poses = bank.keypoints[:6].copy()
    poses[:, :, :2] = poses[:, :, :2] * 1.7 + 25  # anywhere in a frame, any size
    js = run_js("coverage.js", f"""
        const data = {json.dumps(data)};
        const poses = {json.dumps(poses.tolist())};
        return poses.map((p) => {{
          const f = m.poseFeatures(p);
          return [f, m.placeByLandmarks(f, data.landmarks, data.points)];
        }});""")
    features = np.array([f for f, _ in js])
    np.testing.assert_allclose(features, to_vectors(poses)[:, XY], atol=1e-6)
    landmarks = np.array(data["landmarks"]["features"]).reshape(-1, 34)
    points = np.array(data["points"])[:len(landmarks), :2]
    expected = place_by_landmarks(features, landmarks, points)
    np.testing.assert_allclose([xy for _, xy in js], expected, rtol=1e-9, atol=1e-9)


@pytest.mark.browser
@pytest.mark.slow
def test_the_coverage_view_draws_the_map_moves_the_dot_and_lists_a_region(chromium, bank):
    from .browser import RETURNING_VISITOR
    from .test_browser import screenshot, wait_for, wait_for_matches
    from .traffic import Traffic

    with LiveServer(create_app(bank, coverage_map="pca")) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(RETURNING_VISITOR)  # past the first visit's start screen
        try:
            page = context.new_page()
            traffic = Traffic(page, server.url)
            page.goto(server.url + "/?view=coverage")
            wait_for_matches(page, 3)
            wait_for(page, "() => window.movemirror.coverage.map !== null")
            dots = set()
            for _ in range(40):
                dot = page.evaluate("() => window.movemirror.coverage.dot")
                if dot:
                    dots.add(tuple(round(v, 6) for v in dot))
                page.wait_for_timeout(100)
            assert len(dots) >= 3  # the live pose moves on the map
            # the canvas is drawn: not a blank page
            colours = page.evaluate("""() => {
                const c = document.querySelector('#coverage-map');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const seen = new Set();
                for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i+1]);
                return seen.size; }""")
            assert colours > 3
            screenshot(page, "coverage-map")  # before a click lists photos: no image but the clip
            # click the largest region's medoid: its poses are listed
            target = page.evaluate("""() => {
                const v = window.movemirror.coverage;
                const [x, y] = v.toCanvas([v.map.regions[0].x, v.map.regions[0].y]);
                const r = v.canvas.getBoundingClientRect();
                return [r.left + x * r.width / v.canvas.width,
                        r.top + y * r.height / v.canvas.height]; }""")
            page.mouse.click(*target)
            wait_for(page, "() => document.querySelectorAll('#coverage-grid li').length > 0")
            assert page.get_attribute("#coverage-grid", "data-region") == "1"
            listed = page.eval_on_selector_all("#coverage-grid .card",
                                               "els => els.map(e => e.dataset.matchId)")
            medoid = page.evaluate("() => window.movemirror.coverage.map.regions[0].medoid")
            assert listed[0] == bank.ids[medoid]
            # and the page says, above them, which region they are
            region = page.locator("#coverage-region")
            assert region.is_visible() and region.inner_text().startswith("R1 · "), (
                region.inner_text())
            page.wait_for_function("() => [...document.querySelectorAll('#coverage-grid img')]"
                                   ".every(i => i.complete && i.naturalWidth > 0)")
            screenshot(page, "coverage")
            # the page grows with the list: the footer comes after it, not over its cards
            tops = page.evaluate("""() => [
                document.querySelector('#coverage-grid').getBoundingClientRect().bottom,
                document.querySelector('footer').getBoundingClientRect().top]""")
            assert tops[1] >= tops[0], tops
            traffic.assert_only_keypoints_left()
        finally:
            context.close()


def test_the_api_numbers_the_regions_as_the_report_does(served_map, bank):
    from movemirror.coverage.analysis import analyse

    _, data = served_map
    report = analyse(bank, map_method="pca")
    assert [(r["number"], r["medoid"]) for r in data["regions"]] == [
        (n, r.medoid) for n, r in enumerate(report.regions, 1)]
    assert [r["share"] for r in data["regions"]] == [r.share for r in report.regions]


# Each drawn region label: its region's colour on the map (as #rrggbb) and the darkest pixel
# of the label's text on the canvas, as [r, g, b].
LABEL_PIXELS = """async () => {
  const { REGION_COLOURS } = await import('/static/js/coverage.js');
  const v = window.movemirror.coverage;
  const ctx = v.canvas.getContext('2d');
  return v.labels.map((label, i) => {
    const height = Math.ceil(label.size);
    const { data } = ctx.getImageData(Math.floor(label.left), Math.floor(label.y - height),
      Math.ceil(label.right - label.left), height);
    let darkest = [255, 255, 255];
    for (let p = 0; p < data.length; p += 4) {
      if (data[p] + data[p + 1] + data[p + 2] < darkest[0] + darkest[1] + darkest[2]) {
        darkest = [data[p], data[p + 1], data[p + 2]];
      }
    }
    return { text: label.text, pixel: darkest,
             region: REGION_COLOURS[(v.map.regions[i].number - 1) % REGION_COLOURS.length] };
  });
}"""


def luminance(rgb) -> float:
    channel = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channel]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(rgb) -> float:
    return 1.05 / (luminance(rgb) + 0.05)


def same_hue(rgb, hex_colour: str) -> bool:
    """rgb is the colour #rrggbb made darker or lighter (its channels in one ratio), give or
    take a rounding."""
    region = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], float)
    ratio = np.dot(rgb, region) / np.dot(region, region)
    return bool(np.abs(np.array(rgb) - ratio * region).max() <= 8)


@pytest.mark.browser
@pytest.mark.slow
def test_the_region_labels_are_text_sized_on_a_phone_and_a_laptop(chromium, bank):
    from .browser import RETURNING_VISITOR
    from .test_browser import screenshot, wait_for
    from .test_explore import REFUSE_CAMERA

    sizes = {}
    with LiveServer(create_app(bank, coverage_map="pca")) as server:
        for width, height in [(390, 844), (1280, 800)]:
            context = chromium.new_context(viewport={"width": width, "height": height})
            context.add_init_script(RETURNING_VISITOR)
            # The labels alone: with a camera, the live pose's dot (red, drawn over the map)
            # lay over a label in 35 of 60 reads on a phone, and its pixels failed the
            # check below; it comes once the pose model has loaded, so a slow read of the
            # labels met it.
            context.add_init_script(REFUSE_CAMERA)
            try:
                page = context.new_page()
                page.goto(server.url + "/?view=coverage")
                wait_for(page, "() => window.movemirror.coverage.map !== null")
                assert page.evaluate("() => window.movemirror.coverage.dot") is None
                # the labels' font as drawn on the canvas, in CSS pixels on the screen
                sizes[width] = page.evaluate("""() => {
                    const c = document.querySelector('#coverage-map');
                    const px = parseFloat(c.getContext('2d').font.match(/([\\d.]+)px/)[1]);
                    return px * c.getBoundingClientRect().width / c.width; }""")
                # every label whole on the canvas, at its edges too
                inside = page.evaluate("""() => {
                    const v = window.movemirror.coverage;
                    return v.labels.every((l) => l.left >= 0 && l.right <= v.canvas.width); }""")
                assert inside, width
                # each label in its region's colour (as the HTML report draws them), dark
                # enough to read on the white map: the colour of its text's darkest pixel
                drawn = page.evaluate(LABEL_PIXELS)
                assert len(drawn) == page.evaluate("() => window.movemirror.coverage."
                                                   "map.regions.length")
                for label in drawn:
                    assert contrast_on_white(label["pixel"]) >= 4.5, (width, label)
                    assert same_hue(label["pixel"], label["region"]), (width, label)
                screenshot(page, f"coverage-{width}")
            finally:
                context.close()
    assert all(size >= 13 for size in sizes.values()), sizes
