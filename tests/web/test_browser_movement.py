"""Movement mode in headless Chromium: the fake webcam plays pose_1.mp4, and the bank holds
that clip as a track (its reference keypoints, as the mirror view sees them) among real
Penn Action clips. The page must follow the clip, playing it on at the person's pace."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image, ImageOps

from movemirror.bank import PoseBank
from movemirror.server import create_app

from .browser import RETURNING_VISITOR
from .conftest import POSE_VIDEO, LiveServer, require
from .test_browser import reference_poses, screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 30.0
CLIP_FRAMES = 120  # all of pose_1.mp4 (the webcam loops its first 90)
DISTRACTORS = 60  # Penn Action clips, tracks without pictures


def movement_bank(out, penn_valid, pictures: bool) -> PoseBank:
    """pose_1 as a track "pose_1" (with its frames as pictures, mirrored as the view shows
    them, if asked) and DISTRACTORS real Penn Action clips of 3 s or more."""
    from movemirror.datasets.tfjs_reference import read_video_frames

    clip = reference_poses(side=576, frames=CLIP_FRAMES)
    clip = np.concatenate([clip, np.ones((*clip.shape[:2], 1), np.float32)], axis=2)
    meta = {"track": ["pose_1"] * len(clip), "frame_time": list(np.arange(len(clip)) / FPS),
            "source": ["pose_1.mp4"] * len(clip), "thumbnail": [None] * len(clip),
            "image": [None] * len(clip), "thumb_box": [None] * len(clip)}
    if pictures:
        for i, frame in enumerate(read_video_frames(require(POSE_VIDEO))[:len(clip)]):
            picture = ImageOps.mirror(Image.fromarray(frame))
            picture.thumbnail((240, 240))
            jpeg = io.BytesIO()
            picture.save(jpeg, "JPEG", quality=80)
            meta["thumbnail"][i] = f"thumbs/pose_1-{i}.jpg"
            meta["image"][i] = jpeg.getvalue()
            meta["thumb_box"][i] = [0.0, 0.0, float(frame.shape[1]), float(frame.shape[0])]
    keypoints, clip_of = penn_valid
    poses = [clip]
    for number in np.unique(clip_of):
        if len(poses) > DISTRACTORS:
            break
        frames = keypoints[clip_of == number]
        if len(frames) < 90:
            continue
        poses.append(frames)
        meta["track"] += [f"penn-{number}"] * len(frames)
        meta["frame_time"] += list(np.arange(len(frames)) / FPS)
        meta["source"] += [f"penn-action/{number}"] * len(frames)
        meta["thumbnail"] += [None] * len(frames)
        meta["image"] += [None] * len(frames)
        meta["thumb_box"] += [None] * len(frames)
    PoseBank.from_keypoints(np.concatenate(poses), meta=meta).save(out)
    return PoseBank.load(out)


@pytest.fixture(scope="module", params=[True, False], ids=["pictures", "skeletons"])
def movement_server(request, tmp_path_factory, penn_valid):
    bank = movement_bank(tmp_path_factory.mktemp("movement-bank"), penn_valid, request.param)
    app = create_app(bank)
    with LiveServer(app, ws_max_size=64 * 1024) as server:
        server.pictures = request.param
        yield server


# Where the playing clip sits in the match's panel, and whether the still match's frame shows.
MOVEMENT_LAYOUT = """() => {
  const box = (s) => { const r = document.querySelector(s).getBoundingClientRect();
                       return {top: r.top, bottom: r.bottom, height: r.height}; };
  return { canvas: box('#movement-canvas'), panel: box('.flipbook figure'),
           stillFrame: getComputedStyle(document.querySelector('#match-frame')).display,
           caption: document.querySelector('#movement-caption').textContent,
           legend: document.querySelector('.legend').innerText }; }"""


def test_movement_mode_follows_the_webcam_clip(chromium, movement_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(RETURNING_VISITOR)  # no first visit's start screen
    try:
        page = context.new_page()
        page.goto(movement_server.url + "/")
        wait_for_matches(page, 5)
        assert page.evaluate("() => document.body.dataset.movement") == "off"
        page.click("#movement-toggle")
        wait_for(page, "() => window.movemirror.movement.track === 'pose_1'", timeout=90_000)
        samples = []
        for _ in range(50):  # 5 s
            page.wait_for_timeout(100)
            samples.append(page.evaluate("() => window.movemirror.movement"))
        kind = "pictures" if movement_server.pictures else "skeletons"
        layout = page.evaluate(MOVEMENT_LAYOUT)
        screenshot(page, f"movement-{kind}")
        # Explore lists the best windows of the last two seconds as looping strips
        page.click("button[data-view=explore]")
        wait_for(page, "() => window.movemirror.movement.strips.includes('pose_1')",
                 timeout=30_000)
        strips = page.evaluate("() => [...document.querySelectorAll('#movement-strips li')]"
                               ".map((li) => li.dataset.track)")
        # what the strips are, and what their numbers mean, in words a person can read
        title = page.locator("#movement-strips-title")
        said = {"title": title.inner_text() if title.count() and title.is_visible() else "",
                "labels": page.locator("#movement-strips li").all_inner_texts()}
        screenshot(page, f"movement-explore-{kind}")
    finally:
        context.close()
    following = [s for s in samples if s.get("track") == "pose_1"]
    assert len(following) >= 0.8 * len(samples)  # it stays with the clip
    times = [s["time"] for s in following]
    assert len(set(times)) >= 15  # and plays it: many frames of it in 5 s
    steps = np.diff(times)
    # forwards, smoothly: the webcam's loop jumps back every 3 s, and so does the clip
    assert (steps >= 0).mean() >= 0.75, times
    assert all(s["picture"] is movement_server.pictures for s in following)
    assert all(0.6 <= s["speed"] <= 1.6 for s in following)
    assert samples[-1]["framesDrawn"] > 50
    assert samples[-1]["switches"] <= 6  # hysteresis: no flicker between tracks
    assert "pose_1" in strips and len(strips) == len(set(strips)) >= 2
    assert "last two seconds" in said["title"], said
    for rank, label in enumerate(said["labels"], 1):  # not "#1 · 1.245 · 0.90×"
        assert re.search(rf"#{rank}\b.*distance\s\d\.\d{{3}}", label), label
        # the distance and its number on one line: a no-break space between them
        assert re.search(r"distance\xa0\d", label), label
        assert re.search(r"your pace \d\.\d\d× the clip's", label), label
    # As a person sees it: the clip alone fills the match's panel, within it; the still
    # match's frame (its skeleton drawn for a picture no longer shown) is not left over it.
    assert layout["stillFrame"] == "none", layout
    canvas, panel = layout["canvas"], layout["panel"]
    assert panel["top"] - 1 <= canvas["top"] and canvas["bottom"] <= panel["bottom"] + 1, layout
    assert canvas["height"] >= 0.6 * panel["height"], layout
    # Its caption names the clip's file, as the still match's does (not the track's id,
    # which a bank's own tracks spell as a hash such as "a581dd3c6495c425:0:0").
    assert layout["caption"].startswith("pose_1.mp4 · "), layout
    # and says so where the clip has no pictures, so its skeleton alone is shown
    assert ("no pictures of this clip" in layout["caption"]) is not movement_server.pictures
    # the legend under it says what Movement shows, not the still match's "the photo whose
    # pose is closest"
    assert "Movement:" in layout["legend"] and "Mirror:" not in layout["legend"], layout


def test_movement_mode_says_so_when_the_bank_holds_no_movement(open_page):
    # the default test bank: COCO people, photos only (no tracks)
    page, _ = open_page("/")
    wait_for_matches(page, 3)
    note = "#messages [data-topic=movement]"
    page.click("#movement-toggle")
    wait_for(page, "() => window.movemirror.movement.movementSeconds >= 2", timeout=30_000)
    page.wait_for_timeout(500)  # a few replies more, all without a window
    assert page.evaluate("() => window.movemirror.movement.track") is None
    assert "no video clip" in page.inner_text(note)
    screenshot(page, "movement-no-tracks")
    page.click("#movement-toggle")  # off: the note goes with the mode
    assert page.locator(note).count() == 0


# One played frame of pose_1, drawn by the page's MovementPlayer with "skeleton on the match"
# on, then off, at the same moment of the clip (so the same picture); mirrored, the pose must
# flip with its picture.
PLAYED_FRAME = """async ([imagePoses, mirrored]) => {
  const m = await import('/static/js/movement.js');
  const { frames } = await (await fetch('/api/track?name=pose_1')).json();
  // each frame says where its pose lies in its picture, as a match's image_pose does
  const placed = frames.every((frame, i) => JSON.stringify(frame.image_pose)
    === JSON.stringify(imagePoses[i]));
  const canvas = document.createElement('canvas');
  canvas.width = 480;
  canvas.height = 480;
  const toggle = document.createElement('input');
  toggle.type = 'checkbox';
  toggle.checked = true;
  const caption = document.createElement('p');
  const player = new m.MovementPlayer({ canvas, caption, skeletonToggle: toggle,
    frames: new m.TrackFrames(async () => ({ frames })) });
  const now = performance.now();
  await player.update([{ track: 'pose_1', file: 'pose_1.mp4', start: 0.5, end: 1.5,
    speed: 1, distance: 0.01, mirrored }], now, now);
  // where the canvas shows draw.js's keypoint colour (#ff4f8b), as [x, y]
  const joints = () => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, 480, 480);
    const found = [];
    for (let i = 0; i < data.length; i += 4) {
      const off = Math.max(Math.abs(data[i] - 0xff), Math.abs(data[i + 1] - 0x4f),
        Math.abs(data[i + 2] - 0x8b));
      if (off <= 12) found.push([(i / 4) % 480, Math.floor(i / 4 / 480)]);
    }
    return found;
  };
  for (let i = 0; i < 100 && !player.shown?.skeleton; i += 1) {
    player.draw(now);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const on = { shown: player.shown, joints: joints() };
  toggle.checked = false;
  player.draw(now);
  return { on, off: { shown: player.shown, joints: joints() }, caption: caption.textContent,
           frame: frames.findIndex((f) => f.id === player.shown.frame), placed };
}"""
@pytest.fixture(scope="module")
def pictures_server(tmp_path_factory, penn_valid):
    bank = movement_bank(tmp_path_factory.mktemp("pictures-bank"), penn_valid, True)
    with LiveServer(create_app(bank, web_modules=None)) as server:
        server.bank = bank
        yield server


@pytest.mark.parametrize("mirrored", [False, True], ids=["as-is", "mirrored"])
def test_the_skeleton_is_drawn_over_the_played_picture_as_the_toggle_says(
        chromium, pictures_server, mirrored):
    from movemirror.server.records import image_pose

    track = pictures_server.bank.keypoints[:CLIP_FRAMES]
    poses = [image_pose(k.ravel().tolist(), [0, 0, 576, 576]) for k in track]
    page = chromium.new_page()
    try:
        page.goto(pictures_server.url + "/api/health")
        drawn = page.evaluate(PLAYED_FRAME, [poses, mirrored])
    finally:
        page.close()
    assert drawn["placed"]  # GET /api/track's image_pose, as a match's
    assert drawn["on"]["shown"]["skeleton"] and not drawn["off"]["shown"]["skeleton"]
    assert drawn["off"]["joints"] == []  # toggle off: the picture alone
    on = np.zeros((480, 480), bool)
    for x, y in drawn["on"]["joints"]:
        on[y, x] = True
    # toggle on: a joint on each confident keypoint of the frame, where the picture (480 px
    # square, the canvas's side) shows it, and none elsewhere
    pose = np.array(poses[drawn["frame"]])
    seen = pose[:, 2] >= 0.3
    assert seen.sum() >= 12
    xy = np.round(pose[seen, :2] * 479).astype(int)
    if mirrored:
        xy[:, 0] = 479 - xy[:, 0]
    assert on[xy[:, 1], xy[:, 0]].all()
    ys, xs = np.nonzero(on)
    assert xs.min() >= xy[:, 0].min() - 10 and xs.max() <= xy[:, 0].max() + 10
    assert ys.min() >= xy[:, 1].min() - 10 and ys.max() <= xy[:, 1].max() + 10
    assert "pose_1.mp4" in drawn["caption"] and "no skeleton" not in drawn["caption"]


# A MovementPlayer playing pose_1 from its first frames, into window.played; the canvas's
# pixels read as {joints: pixels of draw.js's joint colour, dark: share of near-black pixels}.
START_PLAYING = """async () => {
  const m = await import('/static/js/movement.js');
  const { frames } = await (await fetch('/api/track?name=pose_1')).json();
  const canvas = document.createElement('canvas');
  canvas.width = 480;
  canvas.height = 480;
  const player = new m.MovementPlayer({ canvas, caption: document.createElement('p'),
    frames: new m.TrackFrames(async () => ({ frames })) });
  const now = performance.now();
  await player.update([{ track: 'pose_1', file: 'pose_1.mp4', start: 0, end: 0.5, speed: 1,
    distance: 0.01, mirrored: false }], now, now);
  window.played = { player, now, pixels: () => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, 480, 480);
    let [joints, dark] = [0, 0];
    for (let i = 0; i < data.length; i += 4) {
      const off = Math.max(Math.abs(data[i] - 0xff), Math.abs(data[i + 1] - 0x4f),
        Math.abs(data[i + 2] - 0x8b));
      if (off <= 12) joints += 1;
      if (data[i] + data[i + 1] + data[i + 2] < 30) dark += 1;
    }
    return { joints, dark: dark / (480 * 480) };
  } };
  player.draw(now);
  return { shown: player.shown, ...window.played.pixels() };
}"""
LOADED = """async () => {
  const { player, now, pixels } = window.played;
  for (let i = 0; i < 100 && !player.shown?.skeleton; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    player.draw(now);
  }
  return { shown: player.shown, ...pixels() };
}"""


def test_a_played_frame_whose_picture_is_loading_shows_no_skeleton_on_black(
        chromium, pictures_server):
    page = chromium.new_page()
    held, released = [], []
    try:
        # the clip's pictures wait until released
        page.route("**/bank/**",
                   lambda route: route.continue_() if released else held.append(route))
        page.goto(pictures_server.url + "/api/health")
        loading = page.evaluate(START_PLAYING)
        released.append(True)
        for route in held:
            route.continue_()
        loaded = page.evaluate(LOADED)
    finally:
        page.close()
    # while its picture loads: no skeleton, and no black panel (a placeholder that says so)
    assert not loading["shown"]["skeleton"] and loading["joints"] == 0, loading
    assert loading["shown"]["loading"] and loading["dark"] < 0.5, loading
    # once it has come: the skeleton over the picture
    assert loaded["shown"]["skeleton"] and not loaded["shown"]["loading"], loaded
    assert loaded["joints"] > 0, loaded
