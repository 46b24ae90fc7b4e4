"""BlazePose: the ONNX conversion against TF.js itself, its crops, and its keypoints on
real photos (alone and combined with MoveNet in the "best" mode)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movemirror.pose import PoseEstimator, estimate
from movemirror.pose.blazepose import INPUT_SIZE, landmarks_to_coco, tracking_crop
from movemirror.pose.crops import CropTransform, crop_pixels, upright_body_crop

TFJS_RUN = Path(__file__).with_name("tfjs_run.js")
OUTPUTS = ("ld_3d", "output_poseflag", "activation_heatmap")


def test_landmarks_map_through_the_crop_and_propose_the_next_window():
    crop = CropTransform(100.0, 200.0, 128.0, angle=90.0)
    landmarks = np.zeros((39, 5))
    landmarks[:, :2] = INPUT_SIZE / 2  # everything at the window's centre
    landmarks[:, 3] = 0.0  # visibility logit 0 -> 0.5
    landmarks[33, :2] = (128, 128)  # hip centre at the centre
    landmarks[34, :2] = (128, 64)  # body-scale point straight up in the window
    coco = landmarks_to_coco(landmarks, crop)
    np.testing.assert_allclose(coco[:, :2], np.tile([100.0, 200.0], (17, 1)), atol=1e-4)
    np.testing.assert_allclose(coco[:, 2], 0.5)
    following = tracking_crop(landmarks, crop)
    assert (following.cx, following.cy) == pytest.approx((100.0, 200.0))
    assert following.size == pytest.approx(2 * 32 * 1.25)  # 64 px in the window = 32 image px
    assert following.angle == pytest.approx(90.0)  # the same way up as the window it came from


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_onnx_conversion_matches_tfjs_on_a_real_crop(models_ready, pose_jpg, repo, tmp_path):
    from movemirror.pose.blazepose import BlazePose
    from movemirror.pose.registry import model_path
    from movemirror.pose.session import create_session

    if not (repo / "web" / "node_modules" / "@tensorflow" / "tfjs-converter").is_dir():
        pytest.skip("web/node_modules is not installed: run `make setup-node`")
    image = Image.open(pose_jpg).convert("RGB")
    (seed,) = estimate(image, "thunder", mode="crop")
    pixels = crop_pixels(image, upright_body_crop(seed.keypoints), INPUT_SIZE)
    feed = (pixels.astype(np.float32) / 255.0)[None]
    (tmp_path / "input.f32").write_bytes(feed.tobytes())
    for name in ("blazepose-full", "blazepose-heavy"):
        subprocess.run(
            ["node", str(TFJS_RUN), name, str(tmp_path / "input.f32"), "256", "256",
             str(tmp_path), *OUTPUTS],
            check=True, capture_output=True, timeout=300,
        )
        session = create_session(name, threads=None)
        onnx_out = dict(zip([o.name for o in session.get_outputs()],
                            session.run(None, {"input_1": feed}), strict=True))
        for output in OUTPUTS:
            tfjs = np.fromfile(tmp_path / f"{output}.f32", dtype=np.float32)
            ours = onnx_out[output].reshape(-1)
            assert tfjs.shape == ours.shape, (name, output)
            tolerance = 0.05 if output == "ld_3d" else 1e-3  # pixels of the crop / confidences
            assert np.abs(tfjs - ours).max() < tolerance, (name, output)
        assert model_path(name).is_file()
        landmarks, presence = BlazePose(session).infer_pixels(pixels)
        assert presence > 0.9  # a person fills the crop


def test_blazepose_agrees_with_movenet_on_a_clear_photo(models_ready, pose_jpg):
    (thunder,) = estimate(pose_jpg, "thunder", mode="crop")
    for model in ("blazepose-full", "blazepose-heavy"):
        (pose,) = estimate(pose_jpg, model, mode="crop")
        assert pose.model == model and pose.keypoints.shape == (17, 3)
        assert pose.score == pytest.approx(thunder.score)  # the score of the body finder
        body = slice(5, 17)
        error = np.linalg.norm(pose.keypoints[body, :2] - thunder.keypoints[body, :2], axis=1)
        assert np.median(error) < 20, (model, error)
        assert np.all((pose.keypoints[:, 2] >= 0) & (pose.keypoints[:, 2] <= 1))


@pytest.mark.slow
def test_best_mode_beats_movenet_alone_on_held_back_lspet(models_ready, shared, pck_of):
    from movemirror.datasets.lspet import load_lspet

    samples = load_lspet(shared("lspet"), limit=40, start=5900)

    def pck(model: str, mode: str) -> float:
        return pck_of(PoseEstimator(model, mode=mode), samples)

    accurate, best = pck("thunder", "accurate"), pck("thunder", "best")
    heavy = pck("blazepose-heavy", "crop")
    assert heavy > 0.55, heavy
    assert best > accurate, (accurate, best)
