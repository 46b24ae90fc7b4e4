"""The page's BlazePose (static/js/blazepose.js, TF.js in Chromium) against the Python one
(movemirror.pose.blazepose, ONNX Runtime) on real photos.

Given the same 256 px window pixels, the two agree exactly (TF.js's WASM and ONNX Runtime
give the same landmarks; the heatmap refinement and the mapping back to the image are the same
maths). Given the same seed pose, each drawing its own windows (the canvas in the page, PIL in
Python), they differ where the two draw differently: the canvas softens the image's edges
inside a turned window, PIL cuts them hard, and BlazePose moves a little for it on some photos.
Tolerances, in the side of the seed's upright window (the 256 px the model sees): same pixels,
every keypoint within 0.2% and visibilities within 0.01; same seed, the median keypoint within
1% and every keypoint that Python sees (visibility >= 0.5) within 8%, the median visibility
within 0.02 (measured: medians 0.05% on pose.jpg and 0.03-2.3% on LSPET, at worst 6.6%, Heavy
on a 55 px person in im04833).
"""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from .conftest import POSE_PHOTO, SHARED, require
from .pages import screenshot, wait_for
from .test_js_matches_python import JS, run_js

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

LSPET = SHARED / "lspet" / "images"
# Report-half LSPET queries (photos 4001-6000), spread over the half.
LSPET_PHOTOS = ("im04001.jpg", "im04417.jpg", "im04833.jpg", "im05249.jpg", "im05665.jpg")
SAME_PIXELS_TOLERANCE = 0.002
SAME_PIXELS_SCORE_TOLERANCE = 0.01
MEDIAN_TOLERANCE = 0.01
MAX_TOLERANCE = 0.08
MEDIAN_SCORE_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def page(chromium, live_server):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/static/css/app.css")  # same origin, without the app running
    page.evaluate("""async () => {
        const d = await import('/static/js/detector.js');
        await d.loadTfjsHere();
        window.detectors = {};
        for (const name of ['blazepose-full', 'blazepose-heavy']) {
          window.detectors[name] = await d.createDetector(name, { backend: 'wasm' });
        }
    }""")
    yield page
    context.close()


@pytest.fixture(scope="module")
def python_models():
    from movemirror.pose import ModelMissingError, model_path
    from movemirror.pose.blazepose import BlazePose
    from movemirror.pose.movenet import MoveNet
    from movemirror.pose.session import create_session

    try:
        for name in ("lightning", "blazepose-full", "blazepose-heavy"):
            model_path(name)
    except ModelMissingError as error:
        pytest.skip(str(error))

    lightning = MoveNet(create_session("lightning", threads=None), 192)
    return lightning, {name: BlazePose(create_session(name, threads=None))
                       for name in ("blazepose-full", "blazepose-heavy")}


def photos() -> list:
    return [require(POSE_PHOTO)] + [require(LSPET / name) for name in LSPET_PHOTOS]


def bitmap_call(page, path, body: str, args: dict):
    """Runs `body` in the page with `bitmap` (the photo, decoded by Chromium) and `args`."""
    data = base64.b64encode(path.read_bytes()).decode()
    return page.evaluate(f"""async ({{ data, args }}) => {{
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], {{ type: 'image/jpeg' }}));
        try {{ {body} }} finally {{ bitmap.close(); }}
    }}""", {"data": data, "args": args})


def seed_and_window(lightning, path):
    from movemirror.pose.crops import upright_body_crop
    from movemirror.pose.single import MODES, estimate_single

    image = Image.open(path).convert("RGB")
    seed = estimate_single(lightning, image, MODES["crop"])
    return image, seed, upright_body_crop(seed)


@pytest.mark.browser
@pytest.mark.parametrize("name", ["blazepose-full", "blazepose-heavy"])
def test_page_blazepose_decodes_the_same_pixels_as_python(page, python_models, name):
    from movemirror.pose.blazepose import landmarks_to_coco

    lightning, blazepose = python_models
    for path in photos():
        _, _, window = seed_and_window(lightning, path)
        # The pixels come back as base64: Playwright takes seconds to hand over an array of
        # 262,144 numbers (5.7-9.4 s measured on a busy machine), 0.03-0.09 s for the string.
        found = bitmap_call(page, path, """
            const estimator = window.detectors[args.name].estimator;
            const { keypoints } = await estimator.run(bitmap, args.window);
            const pixels = estimator.ctx.getImageData(0, 0, 256, 256).data;
            let text = '';
            for (let i = 0; i < pixels.length; i += 8192) {
              text += String.fromCharCode.apply(null, pixels.subarray(i, i + 8192));
            }
            return { keypoints, pixels: btoa(text) };""",
            {"name": name, "window": {"cx": window.cx, "cy": window.cy, "size": window.size,
                                      "angle": window.angle}})
        pixels = np.frombuffer(base64.b64decode(found["pixels"]), np.uint8)
        pixels = pixels.reshape(256, 256, 4)[..., :3]
        landmarks, _ = blazepose[name].infer_pixels(np.ascontiguousarray(pixels))
        expected = landmarks_to_coco(landmarks, window)
        got = np.array(found["keypoints"])
        distance = np.linalg.norm(got[:, :2] - expected[:, :2], axis=1) / window.size
        assert distance.max() < SAME_PIXELS_TOLERANCE, path.name
        np.testing.assert_allclose(got[:, 2], expected[:, 2], atol=SAME_PIXELS_SCORE_TOLERANCE)


@pytest.mark.browser
@pytest.mark.parametrize("name", ["blazepose-full", "blazepose-heavy"])
def test_page_blazepose_agrees_with_python_on_real_photos(page, python_models, name):
    lightning, blazepose = python_models
    errors, worst, score_errors = [], [], []
    for path in photos():
        image, seed, window = seed_and_window(lightning, path)
        expected = blazepose[name].track(image, seed).keypoints  # two passes, as the page's
        got = np.array(bitmap_call(page, path, """
            const estimator = window.detectors[args.name].estimator;
            return (await estimator.trackFrom(bitmap, args.seed)).keypoints;""",
            {"name": name, "seed": seed.tolist()}))
        distance = np.linalg.norm(got[:, :2] - expected[:, :2], axis=1) / window.size
        seen = expected[:, 2] >= 0.5
        score_error = np.abs(got[:, 2] - expected[:, 2])
        print(f"{name} {path.name}: median {np.median(distance):.4f} max seen "
              f"{distance[seen].max(initial=0):.4f} of the window; visibility median "
              f"{np.median(score_error):.3f} max {score_error.max():.3f}")
        assert seen.sum() >= 5, f"{path.name}: Python sees too little to compare"
        errors.append(distance)
        worst.append(distance[seen].max())
        score_errors.append(score_error)
    assert np.median(np.concatenate(errors)) < MEDIAN_TOLERANCE
    assert max(worst) < MAX_TOLERANCE
    assert np.median(np.concatenate(score_errors)) < MEDIAN_SCORE_TOLERANCE


# --- the maths, in node, against Python's on the same numbers ----------------------------------

@needs_node
def test_window_landmarks_and_heatmap_maths_agree_with_python():
    from movemirror.pose.blazepose import INPUT_SIZE, landmarks_to_coco, tracking_crop
    from movemirror.pose.crops import CropTransform, upright_body_crop
    from movemirror.pose.heatmap import refine_with_heatmap

    rng = np.random.default_rng(11)
    pose = rng.uniform([100, 50, 0], [400, 450, 1], (17, 3))
    landmarks = rng.uniform([0, 0, -1, -4, -4], [256, 256, 1, 4, 4], (39, 5))
    heatmap = np.round(rng.uniform(0, 1, (12, 12, 39)) ** 4, 6)  # small: node's argv
    window = CropTransform(210.0, 260.0, 300.0, angle=-35.0)
    js = run_js("blazepose.js", f"""
        const w = await import({json.dumps((JS / 'upright_window.js').as_uri())});
        const h = await import({json.dumps((JS / 'heatmap.js').as_uri())});
        const window = {{ cx: 210, cy: 260, size: 300, angle: -35 }};
        const landmarks = {json.dumps(landmarks.ravel().tolist())};
        const xy = [];
        for (let i = 0; i < 39; i += 1) xy.push([landmarks[5 * i] / 256,
          landmarks[5 * i + 1] / 256]);
        return {{ upright: w.uprightBodyWindow({json.dumps(pose.tolist())}),
          coco: m.landmarksToCoco(landmarks, window, 256),
          next: m.trackingWindow(landmarks, window, 256),
          refined: h.refineWithHeatmap(xy, {json.dumps(heatmap.ravel().tolist())},
            [12, 12, 39]) }};""")
    upright = upright_body_crop(pose)
    assert [js["upright"][k] for k in ("cx", "cy", "size", "angle")] == pytest.approx(
        [upright.cx, upright.cy, upright.size, upright.angle])
    np.testing.assert_allclose(js["coco"], landmarks_to_coco(landmarks, window), atol=1e-3)
    following = tracking_crop(landmarks, window)
    assert [js["next"][k] for k in ("cx", "cy", "size", "angle")] == pytest.approx(
        [following.cx, following.cy, following.size, following.angle])
    refined = refine_with_heatmap(landmarks[:, :2] / INPUT_SIZE, heatmap)
    np.testing.assert_allclose(js["refined"], refined, atol=1e-9)
    assert np.abs(refined - landmarks[:, :2] / INPUT_SIZE).max() > 0  # some did move


# --- on the page's camera loop ------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.slow
def test_the_page_tracks_the_webcam_with_blazepose(open_page, bank):
    # The main-thread loop, so that the estimator (and where its windows came from) is on
    # the page to read; the worker loop runs the same estimator in each worker.
    page, traffic = open_page("/?model=blazepose-full&loop=main")
    # generous: BlazePose runs at a few poses a second on a busy 2-core machine
    wait_for(page, "() => window.movemirror && window.movemirror.replies >= 3", 180_000)
    wait_for(page, "() => window.movemirror.detector.estimator.frames.tracked >= 10", 120_000)
    state = page.evaluate("""() => ({ model: window.movemirror.model,
        pose: window.movemirror.pose,
        frames: window.movemirror.detector.estimator.frames })""")
    assert state["model"] == "blazepose-full"
    pose = np.array(state["pose"])
    assert pose.shape == (17, 3) and (pose[5:, 2] >= 0.5).sum() >= 8  # a body, seen
    # After the first window from Lightning, BlazePose follows the person by itself.
    assert state["frames"]["tracked"] > 3 * state["frames"]["seeded"]
    assert any(r["url"].endswith("/vendor/models/blazepose-full.bin") for r in traffic.requests)
    assert any(r["url"].endswith("/vendor/models/movenet-lightning.bin")
               for r in traffic.requests)
    traffic.assert_only_keypoints_left()


@pytest.mark.browser
@pytest.mark.slow
def test_a_photo_is_matched_with_blazepose(open_page, bank):
    page, traffic = open_page("/?model=blazepose-full")
    wait_for(page, "() => window.movemirror && window.movemirror.ready", 180_000)
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && window.movemirror.pose"
                   " && window.movemirror.matches.length > 0", 180_000)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    pose = np.array(page.evaluate("() => window.movemirror.pose"))
    assert page.evaluate("() => window.movemirror.model") == "blazepose-full"
    assert (pose[:, 2] > 0.3).sum() >= 12
    with Image.open(POSE_PHOTO) as photo:
        width, height = photo.size
    scale = min(1, 1024 / max(width, height))  # the page scales a photo to at most 1024 px
    assert (pose[:, 0] <= width * scale).all() and (pose[:, 1] <= height * scale).all()
    assert page.get_attribute("#match-image", "data-match-id") in set(bank.ids)
    screenshot(page, "still-photo-blazepose")
    traffic.assert_only_keypoints_left()
