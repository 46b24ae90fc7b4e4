"""The page in headless Chromium with a fake webcam playing a real clip of a person."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from PIL import Image

from movemirror.keypoints import KEYPOINT_NAMES, MIRROR_PERMUTATION
from movemirror.server import create_app

from .conftest import (
    ARTIFACTS,
    COCO,
    POSE_PHOTO,
    POSE_VIDEO,
    WEBCAM_FRAMES,
    WEBCAM_SIDE,
    LiveServer,
    require,
)
from .pages import boxes, screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A COCO photo of an empty kitchen: no person annotated in it.
SHARED_NO_PERSON = COCO / "train2017" / "000000408805.jpg"


def reference_poses(side=WEBCAM_SIDE, frames=WEBCAM_FRAMES) -> np.ndarray:
    """pose_1.json's keypoints for the clip's frames, as the mirror view shows them."""
    frames_json = json.loads(POSE_VIDEO.with_suffix(".json").read_text())[:frames]
    poses = np.array([[[f[name]["x"], f[name]["y"]] for name in KEYPOINT_NAMES]
                      for f in frames_json], np.float32) * (side / 576)
    mirrored = poses[:, MIRROR_PERMUTATION].copy()
    mirrored[..., 0] = side - mirrored[..., 0]
    return mirrored


def test_mirror_view_finds_the_pose_and_shows_matches(open_page, bank):
    page, traffic = open_page()
    wait_for_matches(page, 10)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    state = page.evaluate("() => ({pose: window.movemirror.pose, "
                          "backend: window.movemirror.backend})")
    assert state["backend"] == "wasm"  # no GPU here: the timing trial must not pick WebGL
    pose = np.array(state["pose"])
    assert pose.shape == (17, 3)
    confident = pose[:, 2] > 0.3
    assert confident.sum() >= 12
    # The pose found in the browser is the person in the clip, mirrored like the picture.
    errors = np.linalg.norm(reference_poses()[:, confident] - pose[None, confident, :2], axis=2)
    assert errors.mean(axis=1).min() < 0.06 * WEBCAM_SIDE
    shown = page.get_attribute("#match-image", "data-match-id")
    assert shown in set(bank.ids)
    natural = page.evaluate("() => document.querySelector('#match-image').naturalWidth")
    assert natural > 0
    screenshot(page, "mirror")
    traffic.assert_only_keypoints_left()


def test_page_frame_rate(open_page):
    page, _ = open_page()
    wait_for_matches(page, 5)
    page.wait_for_timeout(4000)
    stats = page.evaluate("() => ({fps: window.movemirror.fps, estimateMs: "
                          "window.movemirror.estimateMs, matchesPerSecond: "
                          "window.movemirror.matchesPerSecond, backend: window.movemirror.backend,"
                          " timings: window.movemirror.timings})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page_fps.json").write_text(json.dumps(stats, indent=2))
    print("page loop:", stats)
    assert stats["fps"] > 3
    assert stats["matchesPerSecond"] > 3


def test_explore_grid_fills_and_opens_a_match(open_page, bank):
    page, traffic = open_page()
    wait_for_matches(page)
    page.click("button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length === 10")
    page.click("#freeze")
    page.select_option("#explore-k", "20")
    wait_for(page, "() => document.querySelectorAll('#grid li').length === 20")
    assert page.input_value("#metric") == "likeness"  # the default
    # likeness always looks both ways round: the mirror box says so while it is chosen
    assert page.is_checked("#mirror-toggle") and page.is_disabled("#mirror-toggle")
    # in words beside the box, not only in a title that a phone never shows
    mirror_label = "label:has(#mirror-toggle)"
    assert "always, with likeness" in page.inner_text(mirror_label)
    # ...but the page sends the person's own choice (unticked), which the movement search
    # takes: likeness's tick would double its cost.
    sent = [json.loads(frame) for frame in traffic.ws_frames if isinstance(frame, str)]
    assert sent and sent[-1]["metric"] == "likeness" and sent[-1]["mirror"] is False
    # (likeness is best first only within blocks of 10, which one match per frame mixes)
    first = page.eval_on_selector("#grid .distance", "e => e.textContent")
    page.select_option("#metric", "cosine")
    wait_for(page, f"() => document.querySelector('#grid .distance').textContent !== "
                   f"{json.dumps(first)}")
    labels = page.eval_on_selector_all("#grid .distance", "els => els.map(e => e.textContent)")
    distances = [float(text.split("·")[1].split()[0]) for text in labels]
    assert len(distances) == 20 and distances == sorted(distances)
    assert not page.is_checked("#mirror-toggle") and page.is_enabled("#mirror-toggle")
    assert page.inner_text(mirror_label).strip() == "mirror"
    page.select_option("#metric", "weighted")
    wait_for(page, f"() => document.querySelector('#grid .distance').textContent !== "
                   f"{json.dumps(labels[0])}")
    page.wait_for_function("() => [...document.querySelectorAll('#grid img')].every("
                           "i => i.complete && i.naturalWidth > 0)")
    screenshot(page, "explore")
    first_id = page.get_attribute("#grid .card", "data-match-id")
    page.click("#grid .card")
    wait_for(page, "() => document.querySelector('#detail').open")
    record = bank.record(bank.ids.index(first_id))
    assert page.text_content("#detail .file") == record["source"].split("/")[-1]
    assert page.get_attribute("#detail .source a", "href") == record["published_source"]
    assert page.text_content("#detail .licence").strip()
    page.wait_for_function("() => document.querySelector('#detail img').naturalWidth > 0")
    screenshot(page, "explore-detail")
    page.click("#detail .close")
    traffic.assert_only_keypoints_left()


def test_still_photo_is_matched_without_uploading_it(open_page, bank):
    page, traffic = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && window.movemirror.pose"
                   " && window.movemirror.matches.length > 0")
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    pose = np.array(page.evaluate("() => window.movemirror.pose"))
    assert (pose[:, 2] > 0.3).sum() >= 12
    with Image.open(POSE_PHOTO) as photo:
        width, height = photo.size
    # Found on the photo's own pixel grid (the page scales it to at most 1024 px wide).
    scale = min(1, 1024 / max(width, height))
    assert (pose[:, 0] <= width * scale).all() and (pose[:, 1] <= height * scale).all()
    assert page.get_attribute("#match-image", "data-match-id") in set(bank.ids)
    assert page.is_visible("#camera-button")
    screenshot(page, "still-photo")
    posts = [r for r in traffic.requests if r["method"] == "POST"]
    assert posts and all(r["url"].endswith("/api/search") for r in posts)
    traffic.assert_only_keypoints_left()


def test_no_image_data_leaves_the_page(open_page):
    page, traffic = open_page()
    wait_for_matches(page, 20)
    page.click("button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length === 10")
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "window.movemirror.matches.length > 0")
    page.click("#camera-button")
    wait_for(page, "() => window.movemirror.source === 'camera'")
    page.wait_for_timeout(1000)
    assert len(traffic.ws_frames) >= 20
    traffic.assert_only_keypoints_left()


MAX_UPSCALE = 2  # flipbook.js: the match is never shown larger than twice its own size
# The match picture's size, and the room its half leaves it beside the caption (as flipbook.js
# fit() measures it).
PICTURE_FIT = """() => {
  const image = document.querySelector('#match-image');
  const panel = document.querySelector('.flipbook figure').getBoundingClientRect();
  const caption = document.querySelector('#match-caption').getBoundingClientRect();
  const shown = image.getBoundingClientRect();
  return { width: shown.width, height: shown.height, roomWidth: panel.width,
           roomHeight: panel.height - caption.height - 8,
           scale: shown.width / image.naturalWidth };
}"""


def test_phone_sized_screen(open_page):
    page, _ = open_page(viewport=(390, 844))
    wait_for_matches(page)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for selector in ("#view", "#match-image", "#model", "#photo-button", "#gif-button"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    # Stacked: you above your match, each as wide as the screen allows and of equal height.
    you, match = boxes(page, ".you", ".flipbook")
    assert match["y"] >= you["y"] + you["height"]
    assert you["width"] > 350 and match["width"] > 350
    assert abs(you["height"] - match["height"]) <= 2 and match["height"] > 844 / 5
    # Not a corner preview: the picture fills its half at its own aspect (a tall, narrow crop
    # is narrow and as tall as the half allows), unless that would enlarge it past 2x.
    fit = page.evaluate(PICTURE_FIT)
    print("phone, the match picture in its half:", fit)
    assert (fit["width"] >= fit["roomWidth"] - 2 or fit["height"] >= fit["roomHeight"] - 2
            or fit["scale"] >= MAX_UPSCALE - 0.02), fit
    screenshot(page, "phone")


def test_refused_camera_says_so(open_page):
    refuse = ("navigator.mediaDevices.getUserMedia = () => Promise.reject("
              "new DOMException('denied', 'NotAllowedError'));")
    page, _ = open_page(init_script=refuse)
    page.wait_for_selector(".message.error[data-topic=camera]", timeout=60_000)
    assert "refused" in page.text_content("[data-topic=camera]")
    screenshot(page, "camera-refused")


def test_unreachable_server_is_retried_with_backoff(open_page, bank):
    app = create_app(bank)
    first = LiveServer(app)
    with first:
        page, _ = open_page(server=first)
        wait_for_matches(page)
    wait_for(page, "() => (document.querySelector('[data-topic=server]') || {}).textContent"
                   "?.includes('cannot be reached')", timeout=20_000)
    screenshot(page, "server-unreachable")
    before = page.evaluate("() => window.movemirror.replies")
    second = LiveServer(create_app(bank))
    second.port, second.url = first.port, first.url
    second.server.config.port = first.port
    deadline = time.monotonic() + 10
    while True:  # the old socket may linger a moment
        try:
            second.__enter__()
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            second = LiveServer(create_app(bank))
            second.port, second.url = first.port, first.url
            second.server.config.port = first.port
            time.sleep(0.5)
    try:
        wait_for(page, f"() => window.movemirror.replies > {before} + 3", timeout=30_000)
        assert page.locator("[data-topic=server]").count() == 0
    finally:
        second.__exit__()


def test_a_photo_without_anyone_shows_nothing(open_page):
    kitchen = require(SHARED_NO_PERSON)
    page, _ = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    page.set_input_files("#photo-input", str(kitchen))
    page.wait_for_selector("[data-topic=photo]", timeout=30_000)
    assert "No person" in page.text_content("[data-topic=photo]")
    assert page.evaluate("() => window.movemirror.pose") is None
    assert page.is_hidden("#match-image")
    screenshot(page, "still-photo-nobody")


def test_a_dropped_photo_is_matched(open_page, bank):
    page, traffic = open_page()
    wait_for(page, "() => window.movemirror && window.movemirror.ready")
    data = base64.b64encode(require(POSE_PHOTO).read_bytes()).decode()
    page.evaluate("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'pose.jpg', { type: 'image/jpeg' }));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer,
                                                             bubbles: true }));
    }""", data)
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "window.movemirror.matches.length > 0")
    # The picture is swapped in once decoded, after its matches came (on a busy machine the
    # attribute was read before that: None).
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    assert page.get_attribute("#match-image", "data-match-id") in set(bank.ids)
    traffic.assert_only_keypoints_left()


def test_posenet_can_be_chosen_instead_of_movenet(open_page):
    page, traffic = open_page()
    wait_for_matches(page)
    page.select_option("#model", "posenet")
    wait_for(page, "() => window.movemirror.model === 'posenet' && window.movemirror.ready")
    before = page.evaluate("() => window.movemirror.replies")
    wait_for(page, f"() => window.movemirror.replies > {before} + 3")
    pose = np.array(page.evaluate("() => window.movemirror.pose"))
    assert (pose[:, 2] > 0.3).sum() >= 8
    errors = np.linalg.norm(reference_poses()[:, pose[:, 2] > 0.3]
                            - pose[None, pose[:, 2] > 0.3, :2], axis=2)
    assert errors.mean(axis=1).min() < 0.1 * WEBCAM_SIDE
    traffic.assert_only_keypoints_left()
