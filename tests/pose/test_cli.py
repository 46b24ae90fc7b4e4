"""`movemirror pose`: JSON that validates against its schema, drawings, clear errors."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from movemirror.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def schema():
    return json.loads(
        resources.files("movemirror.pose").joinpath("pose_result.schema.json").read_text()
    )


def test_json_validates_and_matches_the_api(models_ready, pose_jpg, schema):
    import jsonschema

    from movemirror.pose import estimate

    result = runner.invoke(app, ["pose", str(pose_jpg), "--model", "lightning", "--mode", "crop",
                                 "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    data = json.loads(line)
    jsonschema.validate(data, schema)
    assert (data["width"], data["height"]) == Image.open(pose_jpg).size
    (pose,) = estimate(pose_jpg, "lightning", mode="crop")
    got = np.array([[k["x"], k["y"], k["score"]] for k in data["poses"][0]["keypoints"]])
    np.testing.assert_allclose(got, pose.keypoints, atol=0.02)


def test_several_images_and_people_give_one_json_line_each(models_ready, shared, schema):
    import jsonschema

    photos = [shared("tfjs-posenet-demo-images", name) for name in ("multi_skiing.jpg",
                                                                     "tennis_in_crowd.jpg")]
    result = runner.invoke(app, ["pose", *map(str, photos), "-m", "multipose", "--max-people",
                                 "6", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [d["image"] for d in lines] == [str(p) for p in photos]
    for data in lines:
        jsonschema.validate(data, schema)
    assert len(lines[0]["poses"]) >= 2


def test_draw_writes_the_skeleton_onto_the_image(models_ready, pose_jpg, tmp_path):
    out = tmp_path / "drawn.png"
    result = runner.invoke(app, ["pose", str(pose_jpg), "-m", "lightning", "--mode", "crop",
                                 "--draw", str(out)])
    assert result.exit_code == 0, result.output
    assert "left_wrist" in result.stdout
    drawn = np.asarray(Image.open(out).convert("RGB")).astype(int)
    original = np.asarray(Image.open(pose_jpg).convert("RGB")).astype(int)
    assert drawn.shape == original.shape
    changed = np.abs(drawn - original).sum(axis=2) > 60
    assert 0.002 < changed.mean() < 0.2  # lines and dots, not a repainted picture


def test_no_person_is_reported_as_such(models_ready, tmp_path, schema):
    import jsonschema

    blank = tmp_path / "blank.png"
    Image.new("RGB", (320, 240), (128, 128, 128)).save(blank)
    result = runner.invoke(app, ["pose", str(blank), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema)
    assert data["poses"] == []
    result = runner.invoke(app, ["pose", str(blank)])
    assert "no pose found" in " ".join(result.stdout.split())  # rich may wrap the line


def test_bad_files_are_named_and_fail_the_command(models_ready, pose_jpg, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    result = runner.invoke(app, ["pose", str(text), str(pose_jpg), "-m", "lightning", "--mode",
                                 "fast", "--json"])
    assert result.exit_code == 1
    assert "notes.jpg" in result.stderr
    assert json.loads(result.stdout)["image"] == str(pose_jpg)  # the good one still ran


def test_missing_models_tell_what_to_run(pose_jpg, tmp_path, monkeypatch):
    monkeypatch.setenv("MOVEMIRROR_MODELS", str(tmp_path))
    result = runner.invoke(app, ["pose", str(pose_jpg)])
    assert result.exit_code == 1
    assert "make setup-models" in result.stderr


def test_unknown_model_is_refused(pose_jpg):
    result = runner.invoke(app, ["pose", str(pose_jpg), "--model", "openpose"])
    assert result.exit_code == 2  # a usage error
    assert "--model takes lightning, thunder" in result.stderr


def test_search_takes_a_photo_and_finds_its_own_pose_first(models_ready, pose_jpg, shared,
                                                          tmp_path):
    from movemirror.bank import PoseBank
    from movemirror.datasets.lspet import load_lspet
    from movemirror.pose import estimate

    (own,) = estimate(pose_jpg)
    others = np.stack([s.joints for s in load_lspet(shared("lspet"), limit=50)])
    bank = PoseBank.from_keypoints(np.concatenate([others, own.keypoints[None]]),
                                   ids=[f"lspet{n}" for n in range(50)] + ["pose.jpg"],
                                   on_invalid="skip")
    bank.save(tmp_path / "bank")
    found = runner.invoke(app, ["search", "--bank", str(tmp_path / "bank"), str(pose_jpg),
                                "-k", "3", "--metric", "cosine", "--json"])
    assert found.exit_code == 0, found.output
    first = json.loads(found.output)["matches"][0]
    assert first["id"] == "pose.jpg" and first["distance"] < 1e-3, first
    # A photo saved without its extension is told by its content, as `index` tells it.
    bare = tmp_path / "pose-photo"
    bare.write_bytes(pose_jpg.read_bytes())
    found = runner.invoke(app, ["search", "--bank", str(tmp_path / "bank"), str(bare), "-k",
                                "1", "--metric", "cosine", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["matches"][0]["id"] == "pose.jpg"

    blank = tmp_path / "blank.png"
    Image.new("RGB", (320, 240), (128, 128, 128)).save(blank)
    nobody = runner.invoke(app, ["search", "--bank", str(tmp_path / "bank"), str(blank)])
    assert nobody.exit_code == 1 and "no person could be made out" in nobody.output
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    unreadable = runner.invoke(app, ["search", "--bank", str(tmp_path / "bank"), str(broken)])
    assert unreadable.exit_code == 1 and "broken.jpg" in unreadable.output, unreadable.output
