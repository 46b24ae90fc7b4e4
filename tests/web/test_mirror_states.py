"""What the mirror says in each state: the first visit, a silent or lost server, and photo
mode's messages (issue 11, findings 8, 9 and 11)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from .conftest import COCO, POSE_PHOTO, require
from .pages import screenshot, wait_for, wait_for_matches
from .test_browser import SHARED_NO_PERSON

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def server_message(page) -> str:
    return page.evaluate("() => (document.querySelector('[data-topic=server]') || {})"
                         ".textContent || ''")


# Each change of the server message's "trying again in N s" (null for any other text) into
# window.__serverSeconds; true once one N follows another, lower, with no other text between.
COUNTED_DOWN = """() => {
  const text = (document.querySelector('[data-topic=server]') || {}).textContent || '';
  const match = /trying again in (\\d+) s/.exec(text);
  const seen = (window.__serverSeconds = window.__serverSeconds || [null]);
  const now = match ? Number(match[1]) : null;
  if (now !== seen[seen.length - 1]) seen.push(now);
  const [before, last] = seen.slice(-2);
  return before !== null && last !== null && last < before; }"""


def test_a_silent_then_lost_server_is_said_greyed_out_and_counted_down(open_page):
    mode = {"silent": False, "refuse": False}

    def relay(ws):
        if mode["refuse"]:
            ws.close()
            return
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))
        server.on_message(lambda message: None if mode["silent"] else ws.send(message))
        mode["socket"] = ws

    page, _ = open_page(before_goto=lambda p: p.route_web_socket(re.compile(r".*/api/stream"),
                                                                  relay))
    wait_for_matches(page, 5)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    assert server_message(page) == ""

    mode["silent"] = True  # open, but no replies
    wait_for(page, "() => (document.querySelector('[data-topic=server]') || {}).textContent"
                   "?.includes('not answering')", timeout=15_000)
    assert page.evaluate("() => document.querySelector('.flipbook').classList.contains('stale')")
    assert page.is_visible("#match-stale") and page.is_visible("#match-image")
    frame_filter = page.evaluate("() => getComputedStyle(document.querySelector('.match-frame'))"
                                 ".filter")
    assert "grayscale" in frame_filter
    screenshot(page, "server-silent")

    mode["refuse"] = True  # then gone: every new connection is dropped at once
    mode["socket"].close()
    # Counted down: one "trying again in N s" read after another of the same wait, lower.
    # The page records each change of the message itself, so a busy machine that is slow to
    # read it cannot see the retry's new, longer wait begin in between (it did: 'in 3 s'
    # read, 1.5 s later 'in 8 s').
    page.wait_for_function(COUNTED_DOWN, polling=100, timeout=60_000)
    seen = page.evaluate("() => window.__serverSeconds")
    assert seen[-1] < seen[-2], seen
    assert page.evaluate("() => document.querySelector('.flipbook').classList.contains('stale')")
    screenshot(page, "server-lost")

    mode.update(silent=False, refuse=False)  # back
    before = page.evaluate("() => window.movemirror.replies")
    wait_for(page, f"() => window.movemirror.replies > {before} + 3", timeout=30_000)
    wait_for(page, "() => !document.querySelector('[data-topic=server]')", timeout=5_000)
    assert not page.evaluate("() => document.querySelector('.flipbook').classList"
                             ".contains('stale')")


def test_back_to_camera_clears_the_photos_error(open_page):
    page, _ = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", {"name": "notes.txt", "mimeType": "text/plain",
                                          "buffer": b"not a photo"})
    page.wait_for_selector(".message.error[data-topic=photo]", timeout=30_000)
    page.click("#camera-button")
    wait_for(page, "() => window.movemirror.source === 'camera'")
    assert page.locator("[data-topic=photo]").count() == 0
    wait_for_matches(page, 3)


def test_the_empty_panel_speaks_of_the_photo_in_photo_mode(open_page):
    page, _ = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", str(require(SHARED_NO_PERSON)))
    page.wait_for_selector("[data-topic=photo]", timeout=30_000)
    # Past "Finding the people in the photo…" (the still-photo search may take a while)
    wait_for(page, "() => { const t = document.querySelector('#match-empty').textContent;"
                   " return t.includes('photo') && !t.startsWith('Finding'); }", timeout=30_000)
    text = page.text_content("#match-empty")
    assert "No person was found in this photo" in text and "camera" not in text.split(":")[0]


WATCH = """
window.__seen = {start: [], stats: [], bank: [], cameraAsked: 0};
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (c) => { window.__seen.cameraAsked += 1; return ask(c); };
document.addEventListener('DOMContentLoaded', () => {
  const log = (name, selector) => {
    const el = document.querySelector(selector);
    window.__seen[name].push(el.textContent);
    new MutationObserver(() => window.__seen[name].push(el.textContent))
      .observe(el, {childList: true, characterData: true, subtree: true});
  };
  log('start', '#start-status'); log('stats', '#stats'); log('bank', '#bank-size');
});
"""


def test_first_visit_explains_then_starts_on_request(open_page):
    page, _ = open_page(first_visit=True, init_script=WATCH)
    assert page.is_visible("#start")
    text = page.text_content("#start")
    assert "never leaves" in text and page.is_visible("#start-button")
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    screenshot(page, "start-screen")
    seen = page.evaluate("() => window.__seen")
    assert seen["cameraAsked"] == 0  # nothing asked before Start
    # It names the model it loads: Auto's first, or a faster one once that proved too slow here.
    models = ("MoveNet Lightning", "MoveNet Thunder", "BlazePose Full")
    assert any(f"Loading {m}" in t for t in seen["start"] for m in models)
    assert any(f"{m} is ready" in t for t in seen["start"] for m in models)
    page.click("#start-button")
    assert page.is_hidden("#start")
    wait_for_matches(page, 3)
    seen = page.evaluate("() => window.__seen")
    assert seen["cameraAsked"] == 1
    # While loading, the footer says what loads, never a bare "loading" or an empty slot.
    assert all(t.strip() and t.strip() != "loading" for t in seen["stats"] + seen["bank"])
    assert any(m in t for t in seen["stats"] for m in models)
    assert "Mirror" in page.text_content(".legend")  # its marks' legend: test_page_as_seen
    # A returning visitor goes straight to the camera.
    page.reload()
    wait_for_matches(page, 1)
    assert page.is_hidden("#start")


# Four people at a table, each annotated in COCO (CC BY).
SEVERAL_PEOPLE = COCO / "train2017" / "000000000790.jpg"


def coco_people(file_name: str) -> list[np.ndarray]:
    data = json.loads((COCO / "annotations" / "person_keypoints_train2017.json").read_text())
    image_id = next(i["id"] for i in data["images"] if i["file_name"] == file_name)
    return [np.asarray(a["keypoints"], np.float32).reshape(17, 3) for a in data["annotations"]
            if a["image_id"] == image_id and not a["iscrowd"] and a["num_keypoints"] >= 10]


def found_error(pose, truth) -> float:
    """Mean distance of the labelled, confidently found keypoints, over the person's size."""
    both = (truth[:, 2] > 0) & (pose[:, 2] > 0.3)
    size = np.ptp(truth[truth[:, 2] > 0, :2], axis=0).max()
    return float(np.linalg.norm(pose[both, :2] - truth[both, :2], axis=1).mean() / size)


def test_a_photo_of_several_people_offers_each_to_match(open_page):
    page, traffic = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", str(require(SEVERAL_PEOPLE)))
    wait_for(page, "() => window.movemirror.photoStatus === 'found'")
    people = page.evaluate("() => window.movemirror.people.map((p) => p.keypoints)")
    truths = coco_people(SEVERAL_PEOPLE.name)
    assert len(people) >= 3 and len(truths) == 4
    # Each person found is one of the annotated people (the page works on the photo's pixels).
    for pose in people:
        assert min(found_error(np.array(pose), t) for t in truths) < 0.15
    assert page.locator("#people-buttons button").count() == len(people)
    screenshot(page, "photo-several-people")
    first = page.evaluate("() => window.movemirror.pose")
    before = page.evaluate("() => window.movemirror.replies")
    page.click("#people-buttons button:nth-child(2)")
    wait_for(page, f"() => window.movemirror.replies > {before}")
    assert page.evaluate("() => window.movemirror.person") == 1
    assert page.evaluate("() => window.movemirror.pose") != first
    assert page.get_attribute("#people-buttons button:nth-child(2)", "aria-pressed") == "true"
    traffic.assert_only_keypoints_left()


def test_an_upside_down_person_is_found_upright(open_page, tmp_path):
    upright_photo = require(POSE_PHOTO)
    turned = tmp_path / "pose-upside-down.jpg"
    with Image.open(upright_photo) as photo:
        photo.rotate(180).save(turned, quality=92)
        width, height = photo.size
    page, _ = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", str(upright_photo))
    wait_for(page, "() => window.movemirror.photoStatus === 'found'")
    upright = np.array(page.evaluate("() => window.movemirror.pose"))
    page.set_input_files("#photo-input", str(turned))
    wait_for(page, "() => window.movemirror.photoStatus === 'found' && "
                   "window.movemirror.people.length > 0")
    found = np.array(page.evaluate("() => window.movemirror.pose"))
    back = found.copy()
    back[:, 0], back[:, 1] = width - found[:, 0], height - found[:, 1]  # turned back
    confident = (upright[:, 2] > 0.3) & (found[:, 2] > 0.3)
    assert confident.sum() >= 12
    error = np.linalg.norm(back[confident, :2] - upright[confident, :2], axis=1).mean()
    assert error < 0.03 * max(width, height)
