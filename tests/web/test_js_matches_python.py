"""The page's JS copies agree with Python: the keypoint schema (names, order, skeleton,
left/right pairs), the crop's keypoints, the coverage map's region colours, and the pose
models' names and files (`bench page --models` takes the page's).

The page's ES modules run in node, as the browser runs them; no DOM is needed to import them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from movemirror.keypoints import (
    BODY_KEYPOINTS,
    KEYPOINT_INDEX,
    KEYPOINT_NAMES,
    MIRROR_PERMUTATION,
    SKELETON_EDGES,
    mirror_keypoints,
)
from movemirror.pose import MODELS
from movemirror.server.files import STATIC_DIR, VENDOR_FILES

JS = STATIC_DIR / "js"
REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_js(module: str, body: str):
    """Imports static/js/<module> as `m`, runs `body` (which returns a value) and gives back
    that value, through JSON."""
    script = (f"const m = await import({json.dumps((JS / module).as_uri())});\n"
              f"const result = await (async () => {{ {body} }})();\n"
              "process.stdout.write(JSON.stringify(result));")
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def js_schema():
    return run_js("keypoints.js", """return { names: m.KEYPOINT_NAMES, index: m.KEYPOINT_INDEX,
        edges: m.SKELETON_EDGES, mirror: m.MIRROR_PERMUTATION, body: m.BODY_KEYPOINTS };""")


def test_keypoint_names_and_order_agree(js_schema):
    assert tuple(js_schema["names"]) == KEYPOINT_NAMES
    assert js_schema["index"] == KEYPOINT_INDEX
    assert tuple(js_schema["body"]) == BODY_KEYPOINTS


def test_skeleton_edges_agree(js_schema):
    assert [tuple(edge) for edge in js_schema["edges"]] == list(SKELETON_EDGES)


def test_left_right_pairs_agree(js_schema):
    assert tuple(js_schema["mirror"]) == MIRROR_PERMUTATION
    pairs = {(KEYPOINT_NAMES[i], KEYPOINT_NAMES[j]) for i, j in enumerate(js_schema["mirror"])
             if i < j}
    assert ("left_wrist", "right_wrist") in pairs and len(pairs) == 8


def test_mirrored_pose_agrees():
    pose = np.random.default_rng(3).uniform([0, 0, 0], [640, 480, 1], (17, 3))
    js = run_js("keypoints.js", f"return m.mirrorPose({json.dumps(pose.tolist())}, 640);")
    np.testing.assert_allclose(js, mirror_keypoints(pose, image_width=640), rtol=1e-6)


def test_crop_centres_on_the_hips_python_names():
    # Only the torso is seen: the crop must centre on the hips as Python numbers them.
    pose = np.zeros((17, 3))
    for name, x, y in (("left_shoulder", 300, 100), ("right_shoulder", 240, 100),
                       ("left_hip", 296, 220), ("right_hip", 244, 220)):
        pose[KEYPOINT_INDEX[name]] = (x, y, 0.9)
    crop = run_js("crop.js", f"return m.cropAround({json.dumps(pose.tolist())}, 640, 480);")
    assert (crop["xMin"] + crop["xMax"]) / 2 * 640 == pytest.approx(270)
    assert (crop["yMin"] + crop["yMax"]) / 2 * 480 == pytest.approx(220)
    assert crop["xMax"] - crop["xMin"] < 1  # a crop around the person, not the whole frame


def test_regions_take_the_same_colours_on_the_page_and_in_the_report():
    # The report once labelled every region in one blue, the page each in its own colour.
    from movemirror.coverage.colours import REGION_COLOURS, label_colour

    js = run_js("coverage.js", "return { colours: m.REGION_COLOURS, "
                               "labels: m.REGION_COLOURS.map((c) => m.labelColour(c)) };")
    assert tuple(js["colours"]) == REGION_COLOURS
    assert js["labels"] == [f"rgb{label_colour(colour)}" for colour in REGION_COLOURS]


@pytest.fixture(scope="module")
def js_models():
    return run_js("detector.js", """return { default: m.DEFAULT_MODEL,
        models: Object.fromEntries(Object.entries(m.MODELS).map(([name, spec]) =>
          [name, { file: spec.file, inputSize: spec.inputSize }])) };""")


def test_browser_models_are_named_as_in_python(js_models):
    assert js_models["models"], "the page offers no model"
    assert js_models["default"] in js_models["models"]
    for name, spec in js_models["models"].items():
        assert name in MODELS, f"the page's model {name!r} is not in movemirror.pose.MODELS"
        assert spec["file"] == MODELS[name].tfjs_name
        assert spec["inputSize"] == MODELS[name].input_size


def test_bench_page_takes_the_models_the_page_runs(js_models):
    # `bench page --models` refuses any other name at once (it once waited 120 s for the page).
    from movemirror.bench.page import AUTO, PAGE_MODELS

    assert tuple(js_models["models"]) == PAGE_MODELS
    assert run_js("model_choice.js", "return m.AUTO;") == AUTO


def test_server_serves_exactly_the_browser_models_files(js_models):
    # The pose models of the menu, and the still-photo path's people finder.
    still = (STATIC_DIR / "js" / "still_people.js").read_text()
    finder = re.search(r"MULTIPOSE_URL = '/vendor/models/([\w-]+)\.json'", still).group(1)
    files = [spec["file"] for spec in js_models["models"].values()] + [finder]
    wanted = {f"{name}.{ext}" for name in files for ext in ("json", "bin")}
    assert set(VENDOR_FILES["models"][1]) == wanted


def test_model_conversion_uses_the_registry_names():
    path = REPO / "scripts" / "convert_models.py"
    spec = importlib.util.spec_from_file_location("convert_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.MODELS == {name: model.tfjs_name for name, model in MODELS.items()}
