"""The page as a person sees it, view by view, at desktop and phone sizes: what a fresh look
found wrong (docs/web-app.md, "Fresh eyes on every view"), each with the check that shows it."""

from __future__ import annotations

import io
import re
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from movemirror.server import create_app

from .conftest import POSE_PHOTO, LiveServer, require
from .pages import screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = (390, 844)
# Each visible control of the header, with its box: what a person can see and reach.
HEADER_CONTROLS = """() => [...document.querySelectorAll('header button, header select')]
  .filter((e) => !e.hidden && getComputedStyle(e).display !== 'none')
  .map((e) => { const r = e.getBoundingClientRect();
                return {name: e.id || e.textContent.trim(), left: r.left, right: r.right}; })"""


def test_every_header_control_is_in_view_on_a_phone_in_photo_mode(open_page):
    """Photo mode adds "Back to camera": on a phone it ran off the screen's edge (and "Make a
    GIF" after it), in a row that scrolled sideways with nothing to say so."""
    page, _ = open_page(viewport=PHONE)
    wait_for_matches(page)
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "window.movemirror.matches.length > 0")
    controls = page.evaluate(HEADER_CONTROLS)
    assert "camera-button" in [c["name"] for c in controls]
    outside = [c for c in controls if c["left"] < 0 or c["right"] > PHONE[0]]
    assert not outside, outside
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(page, "phone-photo-header")


# Each action of the GIF preview: its box, and the box of its text (where a person reads it).
GIF_ACTIONS = """() => [...document.querySelectorAll('#gif-preview .gif-actions > *')]
  .filter((e) => !e.hidden)
  .map((e) => { const box = e.getBoundingClientRect(); const range = document.createRange();
                range.selectNodeContents(e); const text = range.getBoundingClientRect();
                return {name: e.textContent.trim(), top: box.top, height: box.height,
                        textMiddle: (text.top + text.bottom) / 2}; })"""


def test_the_gif_previews_actions_read_as_one_row_of_buttons_on_a_phone(open_page):
    """On a phone (44 px targets), "Download" (a link styled as a button) sat at the top of
    its box while "Close" beside it was centred in its own."""
    page, _ = open_page(viewport=PHONE)
    wait_for_matches(page)
    wait_for(page, "() => !document.querySelector('#gif-button').disabled")
    page.click("#gif-button")
    page.wait_for_selector("#gif-preview[open]", timeout=90_000)
    actions = page.evaluate(GIF_ACTIONS)
    assert {"Download", "Close"} <= {a["name"] for a in actions}
    for action in actions:
        middle = action["top"] + action["height"] / 2
        assert action["textMiddle"] == pytest.approx(middle, abs=2), action
        assert action["height"] >= 44, action
    assert len({round(a["top"]) for a in actions}) == 1, actions  # one row
    screenshot(page, "phone-gif-preview")


def visible_text(page) -> str:
    return page.evaluate("() => document.body.innerText")  # innerText: only what is rendered


def test_the_legend_explains_the_marks_where_they_are_shown(open_page):
    """Explore's tiles show "#rank · distance" and "↔", the mirror neither; the legend for
    them sat under the mirror and was hidden in Explore."""
    page, _ = open_page()
    wait_for_matches(page)
    shown = visible_text(page)
    assert "Mirror: move" in shown
    assert "lower is closer" not in shown and "mirrored:" not in shown
    page.click("nav button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length >= 3")
    shown = visible_text(page)
    tiles = page.evaluate("() => [...document.querySelectorAll('#grid .distance')]"
                          ".map((d) => d.textContent)")
    assert all(t.startswith("#") for t in tiles)
    assert "lower is closer" in shown and "mirrored" in shown
    screenshot(page, "explore-legend")


# Every text the loading messages showed (the bar above the mirror, the start screen's line),
# with whether the page was ready then.
WATCH_LOADING = """
window.__loading = [];
document.addEventListener('DOMContentLoaded', () => {
  const seen = () => {
    const ready = Boolean(window.movemirror && window.movemirror.ready);
    for (const s of ['#messages', '#start-status']) {
      window.__loading.push({ready, where: s, text: document.querySelector(s).textContent});
    }
  };
  for (const s of ['#messages', '#start-status']) {
    new MutationObserver(seen).observe(document.querySelector(s),
      {childList: true, characterData: true, subtree: true});
  }
});
"""


@pytest.mark.parametrize("first_visit", [True, False], ids=["start-screen", "returning"])
def test_nothing_says_ready_before_the_page_is(open_page, first_visit):
    """The model's loading said "Ready… 100%" (start screen) and "Ready…" with a full bar
    (above the mirror, whose panel said "Loading the pose model…") for the seconds the page
    went on loading the model into its other workers and timing them together."""
    page, _ = open_page(first_visit=first_visit, init_script=WATCH_LOADING)
    wait_for(page, "() => window.movemirror && window.movemirror.ready", timeout=120_000)
    seen = page.evaluate("() => window.__loading")
    early = [s for s in seen if not s["ready"] and "ready" in s["text"].lower()]
    assert not early, early[:3]
    assert any(s["text"] for s in seen if not s["ready"])  # it did say what was loading


# The lines the stale note's text takes, and what of the match's picture it covers.
STALE_NOTE = """() => {
  const note = document.querySelector('#match-stale');
  const range = document.createRange();
  range.selectNodeContents(note);
  const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  const n = note.getBoundingClientRect(), p = document.querySelector('.match-frame')
    .getBoundingClientRect();
  return {lines, text: note.textContent, noteWidth: n.width, pictureWidth: p.width}; }"""


@pytest.mark.parametrize("viewport", [(1280, 800), PHONE], ids=["desktop", "phone"])
def test_the_stale_note_is_a_line_or_two_across_the_match(open_page, viewport):
    """When the server went quiet, the phone's "Not live" note was squeezed into half the
    panel's width: three lines over the match's head."""
    mode = {"silent": False}

    def relay(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))
        server.on_message(lambda message: None if mode["silent"] else ws.send(message))

    page, _ = open_page(viewport=viewport, before_goto=lambda p: p.route_web_socket(
        re.compile(r".*/api/stream"), relay))
    wait_for_matches(page)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    mode["silent"] = True
    wait_for(page, "() => !document.querySelector('#match-stale').hidden", timeout=15_000)
    note = page.evaluate(STALE_NOTE)
    assert "Not live" in note["text"]
    assert note["lines"] <= 2, note
    screenshot(page, f"stale-note-{viewport[0]}x{viewport[1]}")


def seen_brightness(page, selector) -> float:
    """The mean brightness (0-255) of what the screen shows in an element's box."""
    png = page.locator(selector).screenshot()
    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), np.float32).mean())


@pytest.fixture(scope="module")
def pca_map_server(bank):
    """A server of the same bank whose coverage map is PCA's (under a second), not UMAP's (a
    minute or more on a busy machine): the page draws either the same way."""
    with LiveServer(create_app(bank, coverage_map="pca"), ws_max_size=64 * 1024) as server:
        yield server


def map_ready(server, timeout=300.0) -> None:
    """Asks the server for its coverage map (which starts computing it) until it has it."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(server.url + "/api/coverage", timeout=30) as reply:
            if reply.status == 200:
                return
        assert time.monotonic() < deadline, "the server's map was never ready"
        time.sleep(0.2)


def test_coverage_while_its_map_is_computed_is_not_a_blank_white_square(open_page,
                                                                        pca_map_server):
    """While the server computed the map (202, Retry-After), the view showed an empty white
    640 px square on the dark page, its only word below it."""
    held = {"replies": 0}

    def computing(route):
        held["replies"] += 1
        route.fulfill(status=202, headers={"Retry-After": "1"}, body="")

    page, _ = open_page(server=pca_map_server,
                        before_goto=lambda p: p.route("**/api/coverage", computing))
    wait_for_matches(page)
    page.click("nav button[data-view=coverage]")
    wait_for(page, "() => document.querySelector('#coverage-caption').textContent"
                   ".includes('being computed')")
    assert seen_brightness(page, "#coverage-map") < 80, "a blank white square"
    screenshot(page, "coverage-computing")
    map_ready(pca_map_server)
    page.unroute("**/api/coverage")  # the map is ready: drawn on its white ground
    wait_for(page, "() => document.querySelector('#coverage-caption').textContent"
                   ".includes('mapped by')")
    assert held["replies"] >= 1 and seen_brightness(page, "#coverage-map") > 200


def test_a_photo_chosen_while_the_model_loads_is_read_when_it_has(open_page):
    """"Use a photo" works from the start, but a photo chosen before the pose model had
    loaded (tens of seconds on a slow device) was dropped without a word: the camera came
    on instead."""
    page, _ = open_page()
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    early = page.evaluate("() => ({ready: window.movemirror.ready,"
                          " source: window.movemirror.source,"
                          " panel: document.querySelector('#match-empty').textContent})")
    assert early["ready"] is False, "the model was ready before the photo came: no test"
    assert early["source"] == "photo"
    wait_for(page, "() => window.movemirror.ready")
    wait_for(page, "() => window.movemirror.matches.length > 0", timeout=60_000)
    state = page.evaluate("() => ({source: window.movemirror.source,"
                          " cameraLive: window.movemirror.cameraLive,"
                          " people: window.movemirror.people.length})")
    assert state == {"source": "photo", "cameraLive": False, "people": 1}, state
    screenshot(page, "photo-while-loading")


# For each option of the Model menu, the width the closed menu needs to show it whole
# (Chromium's own sizing of a menu holding that option alone, beside the real one), and the
# menu's width.
MODEL_MENU = """() => {
  const menu = document.querySelector('#model');
  const needs = [...menu.options].map((option) => {
    const alone = menu.cloneNode(false);
    alone.removeAttribute('id');
    alone.style.maxWidth = 'none';
    alone.append(new Option(option.textContent));
    menu.after(alone);
    const width = alone.getBoundingClientRect().width;
    alone.remove();
    return {text: option.textContent, title: option.title, width};
  });
  return {width: menu.getBoundingClientRect().width, needs}; }"""


def test_the_model_menu_reads_whole_on_a_phone_beside_make_a_gif(open_page):
    """On a phone the closed Model menu showed "Auto (for this" (its full text would push
    "Make a GIF" to a second row), and "MoveNet Lightning" as "MoveNet Ligh"."""
    page, _ = open_page(viewport=PHONE)
    wait_for_matches(page)
    menu = page.evaluate(MODEL_MENU)
    cut = [n for n in menu["needs"] if n["width"] > menu["width"] + 0.5]
    assert not cut, (menu["width"], cut)
    auto = menu["needs"][0]
    assert auto["text"] == "Auto" and auto["title"] == "Auto (for this device)", auto
    assert all(len(n["title"]) >= len(n["text"]) for n in menu["needs"]), menu  # the whole
    tops = page.evaluate("""() => ['#model', '#gif-button'].map((s) =>
        Math.round(document.querySelector(s).getBoundingClientRect().top))""")
    assert tops[0] == tops[1], tops  # one row
    controls = page.evaluate(HEADER_CONTROLS)
    assert all(0 <= c["left"] and c["right"] <= PHONE[0] for c in controls), controls
    screenshot(page, "phone-model-menu")
    page.set_viewport_size({"width": 1280, "height": 800})  # room again: the whole words
    wait_for(page, "() => document.querySelector('#model').options[0].textContent"
                   " === 'Auto (for this device)'")


def test_explores_legend_says_likeness_orders_its_distances_in_groups_of_ten(open_page):
    """Under likeness Explore showed e.g. "#8 · 0.688" then "#9 · 0.340" (its distances are
    ordered ten at a time) under a legend that said only "lower is closer". The groups are
    tens of all the bank's poses, and Explore shows one of each photo or second of video
    (one_per_frame), so a group starts at any rank (#9 above), not only at #11 as the legend
    then said (test_variety holds the drop before #11)."""
    page, _ = open_page()
    wait_for_matches(page)
    page.click("nav button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length >= 3")
    assert page.input_value("#metric") == "likeness"  # the default
    groups = "lower is closer within a group"
    assert groups in visible_text(page)
    assert "a group can start at any rank" in visible_text(page)
    screenshot(page, "explore-legend-likeness")
    page.select_option("#metric", "cosine")  # one order over all: no groups to speak of
    shown = visible_text(page)
    assert "lower is closer." in shown and "group of ten" not in shown
    page.select_option("#metric", "likeness")
    assert groups in visible_text(page)
