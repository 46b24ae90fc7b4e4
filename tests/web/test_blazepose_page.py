"""The page's BlazePose (static/js/blazepose.js, TF.js in Chromium) against the Python one
(movemirror.pose.blazepose, ONNX Runtime) on real photos: the same seed pose in, the same
keypoints out, within a tolerance that the canvas's resampling and the two runtimes leave.

Tolerance: a keypoint's distance between the two, over the side of the seed's upright window
(the 256 px the model sees): median under 1%, and every keypoint that Python sees (visibility
>= 0.5) within 5%; visibilities within 0.1.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from .conftest import POSE_PHOTO, SHARED, require

pytestmark = [pytest.mark.browser]

LSPET = SHARED / "lspet" / "images"
# Report-half LSPET queries (photos 4001-6000), spread over the half.
LSPET_PHOTOS = ("im04001.jpg", "im04417.jpg", "im04833.jpg", "im05249.jpg", "im05665.jpg")
MEDIAN_TOLERANCE = 0.01
MAX_TOLERANCE = 0.05
SCORE_TOLERANCE = 0.1


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


def js_track(page, name: str, path, seed: np.ndarray) -> np.ndarray:
    data = base64.b64encode(path.read_bytes()).decode()
    return np.array(page.evaluate("""async ({ name, data, seed }) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
        const found = await window.detectors[name].estimator.trackFrom(bitmap, seed);
        bitmap.close();
        return found.keypoints;
    }""", {"name": name, "data": data, "seed": seed.tolist()}))


@pytest.mark.parametrize("name", ["blazepose-full", "blazepose-heavy"])
def test_page_blazepose_agrees_with_python_on_real_photos(page, python_models, name):
    from movemirror.pose.crops import upright_body_crop
    from movemirror.pose.single import MODES, estimate_single

    lightning, blazepose = python_models
    errors, worst = [], []
    for path in photos():
        image = Image.open(path).convert("RGB")
        seed = estimate_single(lightning, image, MODES["crop"])
        expected = blazepose[name].track(image, seed).keypoints
        got = js_track(page, name, path, seed)
        side = upright_body_crop(seed).size
        distance = np.linalg.norm(got[:, :2] - expected[:, :2], axis=1) / side
        seen = expected[:, 2] >= 0.5
        print(f"{name} {path.name}: median {np.median(distance):.4f} max seen "
              f"{distance[seen].max(initial=0):.4f} of the window; scores "
              f"{np.abs(got[:, 2] - expected[:, 2]).max():.3f}")
        assert seen.sum() >= 5, f"{path.name}: Python sees too little to compare"
        errors.append(distance)
        worst.append(distance[seen].max())
        np.testing.assert_allclose(got[:, 2], expected[:, 2], atol=SCORE_TOLERANCE)
    assert np.median(np.concatenate(errors)) < MEDIAN_TOLERANCE
    assert max(worst) < MAX_TOLERANCE
