"""The converted models: present, as recorded, and a clear error when they are not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from movemirror.pose import ModelMissingError, PoseEstimator, estimate, model_path
from movemirror.pose.registry import MODELS, get_spec


def test_models_match_the_recorded_checksums(models_ready, repo):
    import hashlib

    recorded = {}
    for line in (repo / "scripts" / "models.sha256").read_text().splitlines():
        digest, name = line.split()
        recorded[name] = digest
    for name in MODELS:
        path = model_path(name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[path.name], path


def test_missing_models_say_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVEMIRROR_MODELS", str(tmp_path))
    with pytest.raises(ModelMissingError, match="make setup-models"):
        model_path("thunder")
    with pytest.raises(ModelMissingError, match="thunder"):
        PoseEstimator("thunder").load()


def test_damaged_model_is_detected(tmp_path, monkeypatch):
    (tmp_path / "lightning.onnx").write_bytes(b"not a model")
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  lightning.onnx\n")
    monkeypatch.setenv("MOVEMIRROR_MODELS", str(tmp_path))
    with pytest.raises(ModelMissingError, match="damaged"):
        model_path("lightning")


def test_unknown_model_is_a_value_error(pose_jpg):
    with pytest.raises(ValueError, match="unknown pose model"):
        estimate(pose_jpg, model="openpose")
    assert get_spec("thunder").input_size == 256


def test_targs_patch_on_the_real_tfjs_model(repo):
    models = repo / "web" / "node_modules" / "@vladmandic" / "human-models" / "models"
    if not models.is_dir():
        pytest.skip(f"{models} missing: run `make setup-node`")
    sys.path.insert(0, str(repo / "scripts"))
    try:
        from convert_models import add_targs
    finally:
        sys.path.pop(0)
    model = json.loads((models / "movenet-lightning.json").read_text())
    fused = [n for n in model["modelTopology"]["node"] if n["op"].startswith(("_Fused", "Fused"))]
    assert fused and not any("TArgs" in n["attr"] for n in fused)
    assert add_targs(model) == len(fused)
    for node in fused:
        assert len(node["attr"]["TArgs"]["list"]["type"]) == int(node["attr"]["num_args"]["i"])
    assert add_targs(model) == 0  # idempotent


def test_onnx_inputs_are_what_the_runtime_expects(models_ready):
    import onnxruntime as ort

    for name, spec in MODELS.items():
        session = ort.InferenceSession(str(model_path(name)), providers=["CPUExecutionProvider"])
        shape = session.get_inputs()[0].shape
        if spec.kind == "multipose":
            assert shape[-1] == 3
        else:
            assert shape[1:] == [spec.input_size, spec.input_size, 3], name


def test_same_weights_as_the_browser_agree_with_tfjs_reference(models_ready, shared):
    """The conversion's output against TF.js's own keypoints for pose_1.mp4 (576 x 576)."""
    from movemirror.datasets.tfjs_reference import load_reference_keypoints, read_video_frames

    folder = shared("tfjs-pose-detection-testdata")
    reference = load_reference_keypoints(folder / "pose_1.json")
    frames = read_video_frames(folder / "pose_1.mp4")
    assert len(frames) == len(reference) == 120
    picked = range(0, 120, 8)
    for model, tolerance in (("thunder", 6.0), ("lightning", 8.0)):
        estimator = PoseEstimator(model, mode="crop")
        errors = []
        for i in picked:
            (pose,) = estimator.estimate(frames[i])
            errors.append(np.linalg.norm(pose.keypoints[:, :2] - reference[i], axis=1).mean())
        assert np.mean(errors) < tolerance, (model, np.mean(errors))
        assert np.max(errors) < 3 * tolerance, (model, np.max(errors))


def test_models_dir_override(monkeypatch, tmp_path):
    from movemirror.pose import models_dir

    monkeypatch.setenv("MOVEMIRROR_MODELS", str(tmp_path))
    assert models_dir() == Path(tmp_path)
