"""Whole runs on real photos and videos with the real pose model (Lightning: the model does
not matter here, speed does)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movemirror.bank import PoseBank
from movemirror.distances import cosine_distance
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.run import run_index
from movemirror.ingest.work import Settings
from movemirror.storage import BankError


@pytest.fixture(scope="module", autouse=True)
def model_available():
    import movemirror

    if not (Path(movemirror.__file__).parent / "pose" / "__init__.py").exists():
        pytest.skip("movemirror.pose (the pose estimator, issue 2) has not landed yet")
    from movemirror.pose import ModelMissingError, PoseEstimator

    try:
        PoseEstimator(model="lightning", threads=1)
    except ModelMissingError as error:
        pytest.skip(f"{error} (run make setup-models)")


FAST = Settings(model="lightning", thumb_size=160)
LOOSE = Settings(model="lightning", thumb_size=160, quality=QualityFilter(
    min_pose_score=0, min_keypoints=5, full_body=False, min_person_size=0))


def ids_of(bank_dir) -> list[str]:
    return PoseBank.load(bank_dir).ids


def test_indexes_real_photos_and_a_video(some_photos, pose_video, tmp_path):
    bank_dir = tmp_path / "bank"
    summary = run_index([some_photos, pose_video], bank_dir, FAST)
    bank = PoseBank.load(bank_dir)
    assert summary.files == 41 and summary.files_done == 41
    assert len(bank) == summary.entries > 10
    assert len(set(bank.ids)) == len(bank)
    kinds = {bank.record(i)["kind"] for i in range(len(bank))}
    assert kinds == {"photo", "video"}
    for i in range(len(bank)):
        record = bank.record(i)
        assert Path(record["source"]).is_file()
        thumb = Image.open(io.BytesIO((bank_dir / record["thumbnail"]).read_bytes()))
        assert thumb.format == "JPEG" and max(thumb.size) <= 160
        x0, y0, x1, y1 = record["box"]
        assert 0 <= x0 < x1 <= record["width"] + 1 and 0 <= y0 < y1 <= record["height"] + 1
        if record["kind"] == "photo":
            assert record["frame_time"] is None
        else:
            assert 0 <= record["frame_time"] < 4.1
    ledger = bank.tables["sources"].to_pylist()
    assert {row["path"] for row in ledger} == {str(p) for p in
                                               [*some_photos.iterdir(), pose_video]}
    assert sum(row["entries"] for row in ledger) == len(bank)
    # every file the filters refused says why
    for row in ledger:
        assert (row["status"] == "indexed") == (row["entries"] > 0)
        assert row["status"] == "indexed" or row["reason"]


def test_bad_files_are_skipped_with_their_reason(bad_files, some_photos, tmp_path):
    bad = tmp_path / "bad"
    summary = run_index([bad, *sorted(some_photos.iterdir())[:3]], tmp_path / "bank", LOOSE)
    reasons = {Path(path).name: reason for path, reason in summary.skipped}
    assert set(reasons) == set(bad_files)
    for name, expected in bad_files.items():
        assert reasons[name].startswith(expected), (name, reasons[name])
    bank = PoseBank.load(tmp_path / "bank")
    assert {Path(bank.record(i)["source"]).parent for i in range(len(bank))} == {some_photos}
    assert summary.files_indexed == 3


def test_rerun_adds_nothing_and_new_files_are_added(some_photos, lspet_images, tmp_path):
    bank_dir = tmp_path / "bank"
    first = run_index([some_photos], bank_dir, LOOSE)
    manifest = (bank_dir / "manifest.json").read_text()
    again = run_index([some_photos], bank_dir, LOOSE)
    assert again.entries == 0 and again.frames == 0 and again.already == first.files
    assert (bank_dir / "manifest.json").read_text() == manifest  # not even rewritten
    # a copy under another name is the same content: not indexed twice
    shutil.copy(some_photos / lspet_images[0].name, some_photos / "copy.jpg")
    shutil.copy(lspet_images[100], some_photos / lspet_images[100].name)
    third = run_index([some_photos], bank_dir, LOOSE)
    assert third.frames == 1 and third.already == first.files
    assert len(ids_of(bank_dir)) == first.entries + third.entries
    rebuilt = run_index([some_photos], bank_dir, LOOSE, rebuild=True)
    assert rebuilt.frames == first.files + 1
    assert sorted(ids_of(bank_dir)) == sorted(set(ids_of(bank_dir)))


def test_near_duplicate_poses_of_a_video_are_dropped(pose_video, tmp_path):
    every_frame = Settings(model="lightning", every_ms=33, thumb_size=96, quality=LOOSE.quality)
    kept_all = run_index([pose_video], tmp_path / "all",
                         Settings(**{**every_frame.__dict__, "dedup": 0.0}))
    deduped = run_index([pose_video], tmp_path / "dedup", every_frame)
    assert kept_all.duplicates == 0 and deduped.duplicates > 0
    assert deduped.entries + deduped.duplicates == kept_all.entries
    bank = PoseBank.load(tmp_path / "dedup")
    order = np.argsort([bank.record(i)["frame_time"] for i in range(len(bank))])
    vectors = np.asarray(bank.vectors)[order]
    gaps = [cosine_distance(a, b)[0, 0] for a, b in zip(vectors, vectors[1:], strict=False)]
    assert min(gaps) >= every_frame.dedup


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "movemirror.cli.main", "index", *args]


def test_kill_at_any_moment_then_resume_loses_and_doubles_nothing(lspet_images, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for image in lspet_images[200:300]:
        shutil.copy(image, photos / image.name)
    options = ["--model", "lightning", "--any-body", "--min-size", "0", "--min-score", "0",
               "--min-keypoints", "5", "--thumb-size", "96"]
    reference = tmp_path / "reference"
    subprocess.run(_cli(str(photos), "--bank", str(reference), "--workers", "1", *options),
                   check=True, capture_output=True, timeout=300)
    expected = ids_of(reference)
    bank_dir = tmp_path / "bank"
    # --commit-every 0: commit after every result, so kills land in and between commits
    command = _cli(str(photos), "--bank", str(bank_dir), "--workers", "2",
                   "--commit-every", "0", *options)
    manifest = bank_dir / "manifest.json"
    kills, seen = 0, []
    for pause in (0.0, 0.05, 0.2, 0.5):
        before = manifest.read_bytes() if manifest.exists() else b""
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if manifest.exists() and manifest.read_bytes() != before:
                break  # a commit of this run has landed: now kill it mid-stride
            time.sleep(0.01)
        time.sleep(pause)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)  # the main process only, like kill -9 PID
            kills += 1
        process.wait()
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        ids = ids_of(bank_dir)  # the bank is always a complete, readable earlier state
        assert len(ids) == len(set(ids)) and set(ids) <= set(expected)
        seen.append(len(ids))
    assert kills >= 2, f"runs finished before they could be killed ({seen})"
    assert seen == sorted(seen) and seen[-1] > 0  # each run kept what the last one saved
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    bank = PoseBank.load(bank_dir)
    assert sorted(bank.ids) == sorted(expected)
    thumbs = {p.relative_to(bank_dir).as_posix() for p in (bank_dir / "thumbs").rglob("*")
              if p.is_file()}
    assert thumbs == set(bank.records.column("thumbnail").to_pylist())  # orphans cleaned up


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_cli_reports_progress_summary_and_bank_info(bad_files, some_photos, tmp_path):
    bank_dir = tmp_path / "bank"
    out = subprocess.run(_cli(str(some_photos), str(tmp_path / "bad"), "--bank", str(bank_dir),
                              "--model", "lightning", "--workers", "1"),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "entries added" in out.stdout and "frames/s" in out.stdout
    for name in bad_files:
        assert name in out.stdout
    info = subprocess.run([sys.executable, "-m", "movemirror.cli.main", "bank", "info",
                           str(bank_dir)], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert f"{len(PoseBank.load(bank_dir)):,} poses" in info.stdout


def test_damaged_bank_is_not_overwritten(some_photos, tmp_path):
    bank_dir = tmp_path / "bank"
    run_index([some_photos], bank_dir, LOOSE)
    manifest = json.loads((bank_dir / "manifest.json").read_text())
    records = bank_dir / manifest["files"]["records"]["name"]
    records.write_bytes(records.read_bytes()[:100])
    with pytest.raises(Exception, match="rebuild"):
        run_index([some_photos], bank_dir, LOOSE)
    with pytest.raises(BankError):
        PoseBank.load(bank_dir)
