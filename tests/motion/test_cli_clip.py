"""`movemirror search --clip`: a movement as JSON, or a video, against real banks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError


def _search(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "movemirror.cli.main", "search", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def penn_bank(penn, tmp_path_factory):
    """40 Penn Action clips as tracks (30 fps), each with its clip as source."""
    folder = tmp_path_factory.mktemp("penn") / "bank"
    clips = np.unique(penn.clip)[:40]
    keep = np.isin(penn.clip, clips)
    keypoints, clip, frame = penn.keypoints[keep], penn.clip[keep], penn.frame[keep]
    bank = PoseBank.from_keypoints(keypoints, on_invalid="skip", meta={
        "track": clip, "frame_time": frame / 30.0,
        "source": [f"penn/{c:04d}" for c in clip]})
    bank.save(folder)
    return folder, keypoints, clip


def test_a_json_clip_finds_its_own_track_and_times(penn_bank, tmp_path):
    folder, keypoints, clip = penn_bank
    poses = keypoints[clip == clip[0]][30:75]  # frames 30-74 of the first clip
    movement = [{"time": 10 + i / 30 / 0.8, "keypoints": p.tolist()}  # played at 0.8x
                for i, p in enumerate(poses)]
    path = tmp_path / "clip.json"
    path.write_text(json.dumps(movement))
    out = _search("--bank", str(folder), "--clip", str(path), "--json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    best = found["windows"][0]
    assert best["track"] == str(clip[0]) and best["source"] == f"penn/{clip[0]:04d}"
    # 0.8x lies between two speeds tried (0.82x and 0.74x): the window starts and ends
    # within a frame or so of the movement's.
    assert best["start"] == pytest.approx(1, abs=0.05)
    assert best["end"] == pytest.approx(74 / 30, abs=0.05)
    assert best["speed"] == pytest.approx(0.8, abs=0.05)
    # off only by resampling at 0.82x: a tenth of the next track's distance or less
    assert best["distance"] < 0.1 * found["windows"][1]["distance"]
    assert len(found["windows"]) == 5 and len({w["track"] for w in found["windows"]}) == 5
    table = _search("--bank", str(folder), "--clip", str(path), "-k", "3")
    assert table.returncode == 0, table.stderr
    for text in (f"penn/{clip[0]:04d}", f"{best['start']:.2f} s", f"{best['end']:.2f} s",
                 f"{best['speed']:.2f}x"):
        assert text in table.stdout


def test_bad_clips_are_refused_with_the_reason(penn_bank, tmp_path):
    folder, keypoints, _ = penn_bank
    cases = {
        "notalist.json": ({"time": 0}, "a clip is a JSON list"),
        "notime.json": ([{"keypoints": keypoints[0].tolist()}], "pose 0 has no time"),
        "short.json": ([{"time": 0, "keypoints": keypoints[0].tolist()}],
                       "at least 2 poses"),
        "backwards.json": ([{"time": 1, "keypoints": keypoints[0].tolist()},
                            {"time": 0, "keypoints": keypoints[1].tolist()}],
                           "strictly increasing"),
        "shape.json": ([{"time": 0, "keypoints": [[1, 2, 1]] * 13}], "found a list of 13 items"),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_text(json.dumps(content))
        out = _search("--bank", str(folder), "--clip", str(path))
        assert out.returncode == 1 and reason in out.stdout + out.stderr, (name, out)
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps(keypoints[0].tolist()))
    both = _search("--bank", str(folder), "--clip", str(pose), str(pose))
    assert both.returncode == 2 and "not both" in both.stdout + both.stderr
    neither = _search("--bank", str(folder))
    assert neither.returncode == 2


def test_a_video_clip_that_cannot_be_decoded_is_named(penn_bank, tmp_path):
    folder, _, _ = penn_bank
    video = dataset_dir("tfjs-pose-detection-testdata") / "pose_1.mp4"
    broken = tmp_path / "broken.mp4"  # the first 5,000 bytes of a real clip, as a cut download
    broken.write_bytes(video.read_bytes()[:5000])
    out = _search("--bank", str(folder), "--clip", str(broken))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"{broken}: cannot decode video" in out.stdout + out.stderr


@pytest.fixture(scope="module")
def lightning():
    from movemirror.pose import ModelMissingError, PoseEstimator

    try:
        PoseEstimator(model="lightning", threads=1).load()
    except ModelMissingError as error:
        pytest.skip(f"{error} (run make setup-models)")


def test_a_video_clip_finds_its_own_track_in_a_bank_indexed_from_it(lightning, tmp_path):
    """pose_1.mp4 indexed by `movemirror index` as the clip reader reads it (Lightning with
    its crop pass, 10 frames a second, no frame dropped), then searched with itself."""
    try:
        video = dataset_dir("tfjs-pose-detection-testdata") / "pose_1.mp4"
    except DatasetMissingError as error:
        pytest.skip(str(error))
    bank_dir = tmp_path / "bank"
    index = subprocess.run([sys.executable, "-m", "movemirror.cli.main", "index", str(video),
                            "--bank", str(bank_dir), "--model", "lightning", "--mode", "crop",
                            "--every-ms", "100", "--dedup", "0", "--max-people", "1",
                            "--workers", "1"], capture_output=True, text=True, timeout=600)
    assert index.returncode == 0, index.stderr
    out = _search("--bank", str(bank_dir), "--clip", str(video), "--json", timeout=600)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["poses"] == 40 and found["seconds"] == pytest.approx(3.9)  # 4 s at 10/s
    (best,) = found["windows"]  # one track: the one person of the one video
    assert best["source"] == str(video)
    assert best["distance"] < 1e-4 and best["speed"] == pytest.approx(1.0)
    assert best["start"] == pytest.approx(0.0) and best["end"] == pytest.approx(3.9)
