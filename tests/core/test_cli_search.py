import json

import numpy as np
from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.cli.main import app

runner = CliRunner()


def _bank(tmp_path, penn_valid):
    keypoints, clips = penn_valid
    bank = PoseBank.from_keypoints(keypoints[:300], meta={"source": [f"c{c}" for c in clips[:300]]})
    bank.save(tmp_path / "bank")
    return tmp_path / "bank", keypoints


def test_search_prints_top_k_as_json(tmp_path, penn_valid):
    bank_dir, keypoints = _bank(tmp_path, penn_valid)
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps({"keypoints": keypoints[17].tolist()}))
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose), "-k", "3",
                                 "--metric", "weighted", "--mirror", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [m["rank"] for m in out["matches"]] == [1, 2, 3]
    assert out["matches"][0]["id"] == "17" and out["matches"][0]["distance"] == 0.0
    assert out["matches"][0]["source"].startswith("c")


def test_search_accepts_tfjs_style_keypoints_and_prints_a_table(tmp_path, penn_valid):
    bank_dir, keypoints = _bank(tmp_path, penn_valid)
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps(
        {"keypoints": [{"x": float(x), "y": float(y), "score": float(s)} for x, y, s in
                       keypoints[5]]}))
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose)])
    assert result.exit_code == 0, result.output
    assert "rank" in result.output and "0.0000" in result.output


def test_the_table_names_its_mirrored_column_only_when_a_mirror_image_matched(tmp_path,
                                                                             penn_valid):
    from movemirror.keypoints import mirror_keypoints

    bank_dir, keypoints = _bank(tmp_path, penn_valid)
    pose = tmp_path / "pose.json"
    # The mirror image of a bank pose: found by its own mirror image, at distance 0.
    pose.write_text(json.dumps({"keypoints": mirror_keypoints(keypoints[5], 1000.0).tolist()}))
    found = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose), "-k", "3",
                                "--metric", "cosine", "--mirror"])
    assert found.exit_code == 0, found.output
    header, first = found.output.splitlines()[1], found.output.splitlines()[3]
    assert "mirrored" in header and "yes" in first and "0.0000" in first
    plain = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose), "-k", "3",
                                "--metric", "cosine"])
    assert plain.exit_code == 0, plain.output
    assert "mirrored" not in plain.output and "yes" not in plain.output


def test_search_errors_are_clear(tmp_path, penn_valid):
    bank_dir, _ = _bank(tmp_path, penn_valid)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(np.zeros((13, 3)).tolist()))
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(bad)])
    assert result.exit_code == 1 and "found a list of 13 items" in result.output
    result = runner.invoke(app, ["search", "--bank", str(tmp_path / "none"), str(bad)])
    assert result.exit_code == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{")
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(garbage)])
    assert result.exit_code == 1 and "not a readable JSON pose" in result.output


def test_bank_info_summarises(tmp_path, penn_valid):
    bank_dir, _ = _bank(tmp_path, penn_valid)
    result = runner.invoke(app, ["bank", "info", str(bank_dir)])
    assert result.exit_code == 0, result.output
    assert "300 poses" in result.output and "left_ankle" in result.output
    assert runner.invoke(app, ["bank", "info", str(tmp_path)]).exit_code == 1


def test_a_file_that_is_not_a_pose_says_what_was_expected_and_what_was_found(tmp_path,
                                                                           penn_valid):
    bank_dir, keypoints = _bank(tmp_path, penn_valid)
    pose = keypoints[0].tolist()
    cases = {
        "object.json": ({"a": 1}, 'a JSON object without "keypoints" (its keys: "a")'),
        "number.json": (7, "a number"),
        "few.json": ({"keypoints": pose[:13]}, "a list of 13 items"),
        "pairs.json": ([p[:2] for p in pose], "keypoint 1 (nose) is a list of 2 numbers"),
        "text.json": (pose[:4] + ["left elbow"] + pose[5:],
                      "keypoint 5 (right_ear) is a string"),
    }
    for name, (content, found) in cases.items():
        path = tmp_path / name
        path.write_text(json.dumps(content))
        result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(path)])
        assert result.exit_code == 1, (name, result.output)
        said = " ".join(result.output.split())  # as a terminal may wrap it
        assert f"{path}: expected a pose: 17 keypoints, each [x, y, score]" in said, said
        assert f"found {found}" in said, (name, said)
        assert "shape" not in said, said


def test_a_query_that_is_not_there_is_a_bad_argument_named_once(tmp_path):
    # As `index` with a missing SOURCE: exit 2, before any bank is opened; once this said
    # "nosuch.json: not a readable JSON pose: [Errno 2] No such file or directory: 'nosuch.json'".
    missing, folder = tmp_path / "nosuch.json", tmp_path
    for args, message in (([str(missing)], f"{missing}: no such file"),
                          (["--clip", str(missing)], f"{missing}: no such file"),
                          ([str(folder)], f"{folder}: a folder, not a pose file or a photo"),
                          (["--clip", str(folder)], f"{folder}: a folder, not a clip or a video")):
        result = runner.invoke(app, ["search", "--bank", str(tmp_path / "no bank"), *args])
        assert result.exit_code == 2, result.output
        assert result.output == f"error: {message}\n"


def test_an_empty_bank_says_it_has_nothing_to_search(tmp_path, penn_valid):
    # A bank every file of which gave no pose (`index` leaves it, with its ledger): once an
    # empty table with its headers alone.
    keypoints, _ = penn_valid
    bank_dir = tmp_path / "empty"
    PoseBank.from_keypoints(keypoints[:0]).save(bank_dir)
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps(keypoints[3].tolist()))
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{bank_dir}: the bank holds no pose to search\n"
    result = runner.invoke(app, ["search", "--bank", str(bank_dir), str(pose), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["matches"] == []
