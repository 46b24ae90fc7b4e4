"""The mirror view as a person sees it: a large, sharp match beside them, its skeleton, and a
caption that always names the picture shown (issue 11, findings 1-3)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import PurePosixPath

import numpy as np
import pytest

from .pages import boxes, screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def box(page, selector):
    return boxes(page, selector)[0]


def test_the_match_is_large_sharp_and_shows_its_skeleton(open_page):
    page, _ = open_page()
    wait_for_matches(page, 5)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    image = page.evaluate("""() => { const i = document.querySelector('#match-image');
        const r = i.getBoundingClientRect(); const p = document.querySelector('.flipbook figure')
        .getBoundingClientRect(); return {w: r.width, h: r.height, nw: i.naturalWidth,
        nh: i.naturalHeight, pw: p.width, ph: p.height}; }""")
    scale = image["w"] / image["nw"]
    # Never enlarged past 2x (a blurry stretch), drawn at its own aspect ratio...
    assert scale <= 2.0 + 1e-3
    assert image["h"] / image["nh"] == pytest.approx(scale, rel=0.02)
    # ...and as large as that allows in its panel.
    assert scale > 1.95 or image["w"] > 0.9 * image["pw"] or image["h"] > 0.8 * image["ph"]
    # The match's skeleton is drawn over it, where the match's keypoints are.
    drawn = page.evaluate("""() => {
        const c = document.querySelector('#match-skeleton');
        const pose = window.movemirror.displayed.image_pose;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const at = (x, y) => data[4 * (Math.round(y * (c.height - 1)) * c.width
                                       + Math.round(x * (c.width - 1))) + 3];
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
        return {hidden: c.hidden, painted, share: painted / (c.width * c.height),
                onKeypoints: pose.filter((k) => k[2] >= 0.3).map(([x, y]) => at(x, y))}; }""")
    assert not drawn["hidden"]
    assert 0.002 < drawn["share"] < 0.3
    assert drawn["onKeypoints"] and min(drawn["onKeypoints"]) > 0
    screenshot(page, "mirror-skeleton")
    page.click("#skeleton-toggle")
    assert page.evaluate("() => document.querySelector('#match-skeleton').hidden")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_you_and_your_match_side_by_side_fill_the_screen(open_page, viewport):
    page, _ = open_page(viewport=viewport)
    wait_for_matches(page, 3)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    you, match = boxes(page, ".you", ".flipbook figure")
    width, height = viewport
    assert you["width"] == pytest.approx(match["width"], rel=0.02)
    assert you["height"] == pytest.approx(match["height"], rel=0.02)
    if width > height:  # side by side
        assert you["y"] == pytest.approx(match["y"], abs=2) and you["x"] < match["x"]
    else:  # stacked
        assert you["x"] == pytest.approx(match["x"], abs=2) and you["y"] < match["y"]
    # Together they fill most of the screen, and nothing runs off it.
    assert 2 * you["width"] * you["height"] > 0.5 * width * height
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert page.evaluate("() => document.documentElement.scrollHeight") <= height
    # The camera picture fills its panel (at its own aspect ratio).
    view = box(page, "#view")
    assert view["width"] == pytest.approx(you["width"], rel=0.01)
    screenshot(page, f"mirror-{width}x{height}")


def test_the_caption_always_names_the_picture_shown(open_page, bank):
    page, _ = open_page()
    wait_for_matches(page, 5)
    samples = page.evaluate("""async () => {
        const out = [];
        for (let i = 0; i < 300; i += 1) {
          const img = document.querySelector('#match-image');
          if (!img.hidden) out.push([img.dataset.matchId,
                                     document.querySelector('#match-caption').textContent,
                                     document.querySelector('#match-frame')
                                       .classList.contains('flipped')]);
          await new Promise((r) => setTimeout(r, 20));
        }
        return out; }""")
    assert len(samples) > 200

    def caption(match_id, flipped):
        record = bank.record(bank.ids.index(match_id))
        parts = [PurePosixPath(record["source"]).name, record["credit"], record["licence"]]
        return " · ".join([*(p for p in parts if p), *(["↔ mirrored"] if flipped else [])])

    assert np.unique([s for s, _, _ in samples]).size >= 2  # the picture changed while sampled
    wrong = [(shown, text) for shown, text, flipped in samples if text != caption(shown, flipped)]
    assert not wrong, f"{len(wrong)} of {len(samples)} samples disagree, e.g. {wrong[0]}"


# What the mirror's match says of itself: its caption and alt text, and whether it is flipped.
MATCH_SHOWN = """() => ({caption: document.querySelector('#match-caption').textContent,
  title: document.querySelector('#match-caption').title,
  alt: document.querySelector('#match-image').alt,
  flipped: document.querySelector('#match-frame').classList.contains('flipped')})"""


def test_a_mirrored_match_is_marked_where_it_is_shown_flipped(open_page):
    """A match found mirrored is shown flipped: the mirror showed it so with no word of why
    (Explore's tiles have the "↔" mark and its legend)."""
    mode = {"mirrored": False}

    def relay(ws):  # the server's replies, each match said to be mirrored or not
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))

        def reply(message):
            data = json.loads(message)
            for match in data.get("matches") or []:
                match["mirrored"] = mode["mirrored"]
            ws.send(json.dumps(data))

        server.on_message(reply)

    page, _ = open_page(before_goto=lambda p: p.route_web_socket(
        re.compile(r".*/api/stream"), relay))
    wait_for_matches(page)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    plain = page.evaluate(MATCH_SHOWN)
    assert not plain["flipped"]
    assert "↔" not in plain["caption"] and "mirrored" not in plain["alt"] + plain["title"]
    mode["mirrored"] = True  # the same picture (or the next) now matched mirrored
    wait_for(page, "() => document.querySelector('#match-frame').classList.contains('flipped')")
    flipped = page.evaluate(MATCH_SHOWN)
    assert flipped["caption"].endswith(" · ↔ mirrored"), flipped
    assert "shown mirrored" in flipped["alt"] and "flipped" in flipped["title"], flipped
    screenshot(page, "mirror-mirrored-match")


def test_a_match_without_a_picture_is_shown_as_its_skeleton(open_page, bank):
    # On a bank built from keypoints alone the panel said "Looking for your match…" for good,
    # while matches came.
    from movemirror.server import create_app

    from .conftest import LiveServer, keypoints_only
    from .pages import assert_skeleton_drawn

    with LiveServer(create_app(keypoints_only(bank))) as server:
        page, _ = open_page(server=server)
        wait_for_matches(page, 5)
        wait_for(page, "() => window.movemirror.displayed !== null", timeout=20_000)
        shown = page.evaluate("""() => { const m = window.movemirror.displayed;
            const c = document.querySelector('#match-skeleton');
            return { keypoints: m.keypoints, mirrored: m.mirrored, file: m.file,
                     drawn: c.toDataURL('image/png'),  // read with its match, in one go
                     empty: document.querySelector('#match-empty').hidden,
                     canvas: !c.hidden, label: c.getAttribute('aria-label'),
                     caption: document.querySelector('#match-caption').textContent }; }""")
        assert shown["empty"] and shown["canvas"], shown
        assert "skeleton" in shown["label"] and shown["caption"].startswith(shown["file"])
        frame = page.locator("#match-frame")
        size = frame.bounding_box()
        panel = box(page, ".flipbook figure")
        assert size["width"] >= 0.8 * min(panel["width"], panel["height"] - 60), (size, panel)
        # The canvas as drawn (a match found mirrored is flipped by its frame's CSS).
        png = base64.b64decode(shown["drawn"].split(",", 1)[1])
        assert_skeleton_drawn(png, shown["keypoints"], mirrored=False)
        screenshot(page, "mirror-skeleton-alone")
