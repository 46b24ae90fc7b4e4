"""The worker loop's grab: MoveNet's camera frames go to the workers already cropped to where
the model looks and drawn at its input size on the page (camera_loop.js, crop.js), in headless
Chromium with the fake webcam playing a real clip. The keypoints must be those of the path
before: the whole frame handed over, cropped and resized in the worker."""

from __future__ import annotations

import pytest

from .pages import wait_for_matches

# The same frame, paused, through both paths in one worker: the whole frame with the crop
# (cropped and resized in the worker, as before), and the crop drawn at the model's size on
# the page (mapped back on the page). Crops: the whole frame, the loop's own crop around the
# person it follows, and one hanging over the frame's corner (padding).
BOTH_PATHS = """async () => {
  const c = await import('/static/js/crop.js');
  const state = window.movemirror;
  const pool = state.detector.estimator;
  const loop = state.cameraLoop;
  const tracked = loop.tracked;
  loop.stop();
  while (loop.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const video = document.querySelector('#video');
  video.pause();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const [W, H] = [video.videoWidth, video.videoHeight];
  const size = pool.grabSize;
  const worker = pool.workers[0];
  const input = new c.CropCanvas(size, {offscreen: true});
  const crops = {whole: c.fullFrameCrop(W, H), tracked: c.cropAround(tracked, W, H),
                 corner: {xMin: -0.25, yMin: 0.4, xMax: 0.5, yMax: 1.15}};
  const out = {size, W, H, tracked: tracked !== null};
  for (const [name, crop] of Object.entries(crops)) {
    const before = await worker.estimateFrame(await createImageBitmap(video), W, H, crop);
    input.draw(video, W, H, crop);
    const reply = await worker.estimateFrame(input.grab(), size, size, c.WHOLE);
    out[name] = {before: before.keypoints,
                 after: c.fromCrop(reply.keypoints, crop, W, H, size)};
  }
  return out;
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_crop_drawn_on_the_page_gives_the_keypoints_of_the_whole_frame(open_page):
    page, _ = open_page("/?model=lightning&workers=1")
    wait_for_matches(page, 5)
    got = page.evaluate(BOTH_PATHS)
    assert got["size"] == 192 and (got["W"], got["H"]) == (320, 320)
    assert got["tracked"]  # the loop was following the person: its crop is not the whole frame
    for name in ("whole", "tracked", "corner"):
        before, after = got[name]["before"], got[name]["after"]
        assert sum(score >= 0.3 for _, _, score in before) >= (10 if name != "corner" else 1)
        for (bx, by, bs), (ax, ay, as_) in zip(before, after, strict=True):
            # the same pixels into the model: the same keypoints, mapped back to the frame
            assert ax == pytest.approx(bx, abs=1e-3) and ay == pytest.approx(by, abs=1e-3), name
            assert as_ == pytest.approx(bs, abs=1e-5), name


# What each pose worker is handed: the bitmaps' sizes, recorded on the page's side.
RECORD_SIZES = """() => {
  const pool = window.movemirror.detector.estimator;
  window.__sizes = [];
  for (const worker of pool.workers) {
    const estimateFrame = worker.estimateFrame.bind(worker);
    worker.estimateFrame = (bitmap, ...rest) => {
      window.__sizes.push([bitmap.width, bitmap.height]);
      return estimateFrame(bitmap, ...rest);
    };
  }
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_worker_loop_hands_movenet_only_its_input(open_page):
    page, _ = open_page("/?model=lightning")
    wait_for_matches(page, 5)
    page.evaluate(RECORD_SIZES)
    start = page.evaluate("() => window.movemirror.frames")
    page.wait_for_function(f"() => window.movemirror.frames >= {start + 10}", timeout=30_000)
    sizes = page.evaluate("() => window.__sizes")
    assert sizes and all(size == [192, 192] for size in sizes), sizes[:5]
    # the poses still land on the person: the skeleton's keypoints are in the frame
    pose = page.evaluate("() => window.movemirror.pose")
    assert pose is not None
    assert all(-1 <= x <= 321 and -1 <= y <= 321 for x, y, s in pose if s >= 0.3)


@pytest.mark.browser
@pytest.mark.slow
def test_a_camera_frame_is_grabbed_only_for_a_free_worker(open_page):
    # Thunder is slower than the 30 fps camera here: every camera frame is drawn, but only
    # those a worker is free for are grabbed (before, every one was, most to be dropped).
    page, _ = open_page("/?model=thunder")
    wait_for_matches(page, 3)
    counts = """() => { const loop = window.movemirror.cameraLoop;
        return {grabbed: loop.grabbed, late: loop.late, dropped: loop.dropped,
                poses: window.movemirror.frames, screen: window.movemirror.screenFrames}; }"""
    before = page.evaluate(counts)
    page.wait_for_timeout(4000)
    after = page.evaluate(counts)
    got = {key: after[key] - before[key] for key in before}
    print("thunder, 4 s:", got)
    assert got["screen"] > 1.5 * got["poses"] > 0
    # each grab is a pose shown, or one a newer pose overtook (two workers), or one in flight
    workers = page.evaluate("() => window.movemirror.workers")
    assert got["grabbed"] <= got["poses"] + got["late"] + workers
    assert got["dropped"] >= got["screen"] - got["grabbed"] - 1
