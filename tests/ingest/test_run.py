"""Whole runs on real photos and videos with the real pose models (Lightning in its fast mode
where the model does not matter, speed does; MultiPose for crowded frames)."""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import combinations, pairwise
from pathlib import Path

import lance
import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from movemirror.bank import PoseBank, lance_store, storage
from movemirror.distances import cosine_distance
from movemirror.errors import BankError, IngestError
from movemirror.ingest.dedup import MIN_IOU, iou
from movemirror.ingest.ledger import TABLE as LEDGER
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.run import SilentReporter, Summary, run_index
from movemirror.ingest.work import Settings
from movemirror.motion.tracks import bank_tracks
from movemirror.pose import ModelMissingError, PoseEstimator


@pytest.fixture(scope="session")
def model_available():
    try:
        PoseEstimator(model="lightning", threads=1).load()
        PoseEstimator(model="multipose", threads=1).load()
    except ModelMissingError as error:
        pytest.skip(f"{error} (run make setup-models)")


@pytest.fixture(autouse=True)
def _needs_model(model_available):
    pass


# The fastest estimator: one Lightning pass a frame, one person. Which model runs does not
# matter to what these tests prove (files, ledger, commits, resume); the pose tests check it.
FAST = Settings(model="lightning", mode="fast", max_people=1, thumb_size=160)
LOOSE_QUALITY = QualityFilter(min_pose_score=0, min_keypoints=5, full_body=False,
                              min_person_size=0)
LOOSE = replace(FAST, quality=LOOSE_QUALITY)
PHOTOS = 24


def ids_of(bank_dir) -> list[str]:
    return PoseBank.load(bank_dir).ids


@dataclass
class Indexed:
    photos: Path
    video: Path
    bank_dir: Path
    summary: Summary


@pytest.fixture(scope="session")
def indexed(model_available, tmp_path_factory, lspet_images, pose_video) -> Indexed:
    """Real photos and a video indexed once; tests that change the bank work on a copy."""
    root = tmp_path_factory.mktemp("indexed")
    photos = root / "photos"
    photos.mkdir()
    for image in lspet_images[:PHOTOS]:
        shutil.copy(image, photos / image.name)
    bank_dir = root / "bank"
    summary = run_index([photos, pose_video], bank_dir, FAST)
    return Indexed(photos, pose_video, bank_dir, summary)


def copy_bank(indexed: Indexed, tmp_path: Path) -> Path:
    bank_dir = tmp_path / "bank"
    shutil.copytree(indexed.bank_dir, bank_dir)
    return bank_dir


def test_indexes_real_photos_and_a_video(indexed):
    summary, bank_dir = indexed.summary, indexed.bank_dir
    bank = PoseBank.load(bank_dir)
    assert summary.files == PHOTOS + 1 and summary.files_done == PHOTOS + 1
    assert summary.frames == PHOTOS + 20  # and the video sampled every 200 ms for 4 s
    assert len(bank) == summary.entries > 10
    assert len(set(bank.ids)) == len(bank)
    kinds = {bank.record(i)["kind"] for i in range(len(bank))}
    assert kinds == {"photo", "video"}
    for i in range(len(bank)):
        record = bank.record(i)
        assert Path(record["source"]).is_file()
        assert record["model"] == "lightning"
        thumb = Image.open(io.BytesIO(bank.image(i)))  # each entry's picture is in the bank
        assert thumb.format == "JPEG" and max(thumb.size) <= 160
        x0, y0, x1, y1 = record["box"]
        assert 0 <= x0 < x1 <= record["width"] + 1 and 0 <= y0 < y1 <= record["height"] + 1
        if record["kind"] == "photo":
            assert record["frame_time"] is None and record["track"] is None
        else:
            assert 0 <= record["frame_time"] < 4.1
    # The video's one person is one track, in time order, and the photos are in none.
    tracks = bank_tracks(bank.records)
    video_rows = [i for i in range(len(bank)) if bank.record(i)["kind"] == "video"]
    assert len(tracks) == 1 and sorted(tracks.rows) == video_rows
    ledger = bank.tables["sources"].to_pylist()
    assert {row["path"] for row in ledger} == {str(p) for p in
                                               [*indexed.photos.iterdir(), indexed.video]}
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


def test_every_skipped_file_is_named_by_its_full_path(bad_files, tmp_path, monkeypatch):
    # The log lists them "the full path, then the reason": a source given relative to the
    # folder the run starts in is no exception.
    monkeypatch.chdir(tmp_path)
    summary = run_index([Path("bad")], tmp_path / "bank", LOOSE)
    assert sorted(path for path, _ in summary.skipped) == sorted(
        str(tmp_path / "bad" / name) for name in bad_files)


def test_rerun_adds_nothing_and_new_files_are_added(indexed, lspet_images, tmp_path):
    bank_dir = copy_bank(indexed, tmp_path)
    first = indexed.summary
    sources = [indexed.photos, indexed.video]
    versions = storage.history(bank_dir)
    again = run_index(sources, bank_dir, FAST)
    assert again.entries == 0 and again.frames == 0 and again.already == first.files
    assert storage.history(bank_dir) == versions  # not even a new version
    # a copy under another name is the same content: not indexed twice
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(indexed.photos / lspet_images[0].name, more / "copy.jpg")
    shutil.copy(lspet_images[100], more / lspet_images[100].name)
    third = run_index([*sources, more], bank_dir, FAST)
    assert third.frames == 1 and third.already == first.files
    assert any(Path(path).name == "copy.jpg" and reason.startswith("same content")
               for path, reason in third.skipped)
    assert len(ids_of(bank_dir)) == first.entries + third.entries
    rebuilt = run_index([*sources, more], bank_dir, FAST, rebuild=True)
    assert rebuilt.frames == first.frames + 1
    assert sorted(ids_of(bank_dir)) == sorted(set(ids_of(bank_dir)))


def test_a_file_met_twice_is_not_among_the_files_the_run_plans(lspet_images, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(lspet_images[0], photos / "a.jpg")
    shutil.copy(lspet_images[0], photos / "a copy.JPG")  # the same content: indexed once
    shutil.copy(lspet_images[1], photos / "b.jpg")
    planned = []

    class Recorder(SilentReporter):
        def planned(self, summary: Summary) -> None:
            planned.append(summary.files_planned)

    summary = run_index([photos], tmp_path / "bank", FAST, reporter=Recorder())
    assert summary.files == 3  # found
    assert planned == [2] and summary.files_done == 2  # the progress ends at 2/2, not 2/3
    again = run_index([photos], tmp_path / "bank", FAST, reporter=Recorder())
    assert planned == [2, 0] and again.already == 2


def test_near_duplicate_poses_of_a_video_are_dropped(pose_video, tmp_path):
    every_frame = replace(LOOSE, every_ms=33, thumb_size=96)
    kept_all = run_index([pose_video], tmp_path / "all", replace(every_frame, dedup=0.0))
    deduped = run_index([pose_video], tmp_path / "dedup", every_frame)
    assert kept_all.frames == deduped.frames >= 100
    assert kept_all.duplicates == 0 and deduped.duplicates > 0
    assert deduped.entries + deduped.duplicates == kept_all.entries
    bank = PoseBank.load(tmp_path / "dedup")
    order = np.argsort([bank.record(i)["frame_time"] for i in range(len(bank))])
    vectors = np.asarray(bank.vectors)[order]
    gaps = [cosine_distance(a, b)[0, 0] for a, b in zip(vectors, vectors[1:], strict=False)]
    assert min(gaps) >= every_frame.dedup


def _by_frame(bank: PoseBank) -> dict[float, list[dict]]:
    frames: dict[float, list[dict]] = defaultdict(list)
    for i, keypoints in enumerate(bank.keypoints):
        record = bank.record(i)
        frames[record["frame_time"]].append({**record, "keypoints": keypoints})
    return frames


def _area(box) -> float:
    x0, y0, x1, y1 = box
    return (x1 - x0) * (y1 - y0)


def test_each_person_of_a_crowded_frame_is_an_entry_or_only_the_largest(street_video,
                                                                        tmp_path):
    """The street scene: several people walk at once (MultiPose finds them all)."""
    everyone = replace(LOOSE, model="multipose", max_people=6, every_ms=400, dedup=0.0)
    run_index([street_video], tmp_path / "all", everyone)
    run_index([street_video], tmp_path / "largest", replace(everyone, largest_only=True))
    frames = _by_frame(PoseBank.load(tmp_path / "all"))
    crowded = [people for people in frames.values() if len(people) >= 2]
    assert len(crowded) >= len(frames) // 2 and len(frames) >= 8
    for people in frames.values():
        assert len({p["person"] for p in people}) == len(people)
        for p in people:
            x0, y0, x1, y1 = p["box"]
            assert 0 <= x0 < x1 <= 1281 and 0 <= y0 < y1 <= 721  # source pixels (1280 x 720)
            keypoints = p["keypoints"]
            cx, cy = np.median(keypoints[keypoints[:, 2] >= 0.2, :2], axis=0)
            assert x0 <= cx <= x1 and y0 <= cy <= y1  # its own box, around its own body
        for a, b in combinations(people, 2):
            assert not np.allclose(a["box"], b["box"], atol=2)
        assert len({p["track"] for p in people}) == len(people)  # one pose a track a frame
    # People are followed: tracks of several frames, each moving little from pose to pose.
    bank = PoseBank.load(tmp_path / "all")
    tracks = bank_tracks(bank.records)
    assert len(tracks) >= 2 and max(tracks.stop - tracks.first) >= 6
    for j in range(len(tracks)):
        rows = tracks.rows[tracks.first[j]:tracks.stop[j]]
        for a, b in pairwise(rows):
            assert iou(bank.record(a)["box"], bank.record(b)["box"]) >= MIN_IOU
    largest = _by_frame(PoseBank.load(tmp_path / "largest"))
    assert set(largest) <= set(frames) and len(largest) >= len(frames) - 1
    for t, (only, *others) in largest.items():
        assert not others  # one entry per frame
        # the largest person of the frame: one of the people found, and none is larger
        assert any(np.allclose(only["box"], p["box"]) for p in frames[t])
        assert _area(only["box"]) >= max(_area(p["box"]) for p in frames[t]) - 1e-3


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "movemirror.cli.main", "index", *args]


def test_kill_at_any_moment_then_resume_loses_and_doubles_nothing(lspet_images, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for image in lspet_images[200:260]:
        shutil.copy(image, photos / image.name)
    options = ["--model", "lightning", "--mode", "fast", "--max-people", "1", "--any-body",
               "--min-size", "0", "--min-score", "0", "--min-keypoints", "5",
               "--thumb-size", "96"]
    # What an uninterrupted run gives (the same settings as the options, in this process)
    reference = tmp_path / "reference"
    run_index([photos], reference, replace(LOOSE, thumb_size=96))
    expected = ids_of(reference)
    assert len(expected) > 30
    bank_dir = tmp_path / "bank"
    # --commit-every 0: commit after every result, so kills land in and between commits
    command = _cli(str(photos), "--bank", str(bank_dir), "--workers", "2",
                   "--commit-every", "0", *options)
    kills, done, ids = 0, [], []
    for pause in (0.0, 0.05):
        before = _ledger_version(bank_dir)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            # A commit is poses first, then their ledger rows: it has landed once the
            # ledger has a new version (the poses' version alone is half a commit).
            if _ledger_version(bank_dir) != before:
                break  # a commit of this run has landed: now kill it mid-stride
            time.sleep(0.005)
        time.sleep(pause)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)  # the main process only, like kill -9 PID
            kills += 1
        process.wait()
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        bank = PoseBank.load(bank_dir)  # always a complete, readable earlier state
        ledger = bank.tables.get("sources")
        units = [row["path"] for row in ledger.to_pylist()] if ledger is not None else []
        assert len(bank.ids) == len(set(bank.ids)) and set(bank.ids) <= set(expected)
        assert len(units) == len(set(units))  # no photo done twice
        # nothing the last run saved is lost (photos without a usable pose count as done too)
        assert set(ids[-1] if ids else []) <= set(bank.ids)
        assert set(done[-1] if done else []) <= set(units)
        done.append(units)
        ids.append(bank.ids)
    assert kills == 2, f"runs finished before they could be killed ({[len(d) for d in done]})"
    # each run was killed after saving some work of its own, and before saving it all
    assert 0 < len(done[0]) < len(done[1]) < 60
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    bank = PoseBank.load(bank_dir)
    assert sorted(bank.ids) == sorted(expected)
    assert sorted(row["path"] for row in bank.tables["sources"].to_pylist()) == sorted(
        str(p) for p in photos.iterdir())
    assert all(bank.images(range(len(bank))))  # every entry has its picture
    assert not (bank_dir / "thumbs").exists()


def _ledger_version(bank_dir: Path) -> int | None:
    """The newest committed version of the bank's ledger (the last write of each commit),
    None before the first."""
    try:
        return lance.dataset(lance_store.join(str(bank_dir), LEDGER + lance_store.TABLE_SUFFIX)
                             ).version
    except (ValueError, OSError):
        return None


def test_each_commit_appends_its_entries_with_their_pictures_and_never_syncs_the_machine(
        some_photos, tmp_path, monkeypatch):
    bank_dir = tmp_path / "bank"
    commits = []
    real_write, real_append = storage.write_bank, storage.append_bank

    def write_bank(path, records, vectors, images, tables):
        commits.append(("write", records.num_rows, sum(i is not None for i in images)))
        return real_write(path, records, vectors, images, tables)

    def append_bank(path, records, vectors, images, tables, **options):
        commits.append(("append", records.num_rows, sum(i is not None for i in images)))
        return real_append(path, records, vectors, images, tables, **options)

    monkeypatch.setattr(storage, "write_bank", write_bank)
    monkeypatch.setattr(storage, "append_bank", append_bank)
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("the whole machine was synced"))
    run_index([some_photos], bank_dir, LOOSE, commit_every=0)
    bank = PoseBank.load(bank_dir)
    # One whole write (the new, empty bank), then appends of only the new entries, each
    # with every picture.
    assert commits[0][0] == "write" and {kind for kind, _, _ in commits[1:]} == {"append"}
    assert len(commits) >= 2 and sum(rows for _, rows, _ in commits) == len(bank) > 5
    assert all(rows == pictures for _, rows, pictures in commits)
    assert len(storage.history(bank_dir)) >= len(commits)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_cli_reports_progress_summary_and_bank_info(bad_files, some_photos, tmp_path):
    bank_dir = tmp_path / "bank"
    out = subprocess.run(_cli(str(some_photos), str(tmp_path / "bad"), "--bank", str(bank_dir),
                              "--model", "lightning", "--mode", "fast", "--max-people", "1",
                              "--workers", "1"),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "entries added" in out.stdout and "frames/s" in out.stdout
    assert "engine: local, 1 worker process, device cpu (asked for)" not in out.stdout
    assert "engine: local, 1 worker process, device cpu (" in out.stdout  # auto: and why
    for name in bad_files:
        assert name in out.stdout
    info = subprocess.run([sys.executable, "-m", "movemirror.cli.main", "bank", "info",
                           str(bank_dir)], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert f"{len(PoseBank.load(bank_dir)):,} poses" in info.stdout


LOOSE_OPTIONS = ("--model", "lightning", "--mode", "fast", "--max-people", "1", "--any-body",
                 "--min-size", "0", "--min-score", "0", "--min-keypoints", "5")


def _files_at_most(size: int):
    """For a child process: no file it writes may grow past size bytes (RLIMIT_FSIZE binds
    root too): every commit of a bank fails as on a full disk."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_bank_that_cannot_be_written_is_a_one_line_error_not_a_traceback(lspet_images,
                                                                           tmp_path):
    bank_dir = tmp_path / "bank"
    out = subprocess.run(_cli(*map(str, lspet_images[:2]), "--bank", str(bank_dir),
                              "--workers", "1", *LOOSE_OPTIONS),
                         capture_output=True, text=True, timeout=300,
                         preexec_fn=_files_at_most(8192))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bank_dir}"), out.stderr
    assert "File too large" in lines[0] and "the same command goes on" in lines[0]


# One worker runs the units on a thread of the CLI's own process (Ctrl-C aborted it in ONNX
# Runtime); two, in a pool of processes.
@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_says_what_the_bank_kept_and_how_to_go_on(lspet_images, tmp_path, workers):
    photos = tmp_path / "photos"
    photos.mkdir()
    for image in lspet_images[300:340]:
        shutil.copy(image, photos / image.name)
    bank_dir = tmp_path / "bank"
    process = subprocess.Popen(
        _cli(str(photos), "--bank", str(bank_dir), "--workers", workers, "--commit-every", "0",
             *LOOSE_OPTIONS),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while process.poll() is None and _ledger_version(bank_dir) is None:
        assert time.monotonic() < deadline, "no commit in 120 s"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    saved = len(PoseBank.load(bank_dir))
    assert 0 < saved and len(ids_of(bank_dir)) == saved
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: interrupted: {bank_dir} keeps what was saved "), err
    assert "run the same command again to go on" in lines[0]
    rerun = subprocess.run(_cli(str(photos), "--bank", str(bank_dir), "--workers", "1",
                                *LOOSE_OPTIONS), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(set(ids_of(bank_dir))) == len(ids_of(bank_dir))


def test_a_bank_path_that_is_a_file_is_an_error_naming_it(lspet_images, tmp_path):
    from typer.testing import CliRunner

    from movemirror.cli.main import app

    taken = tmp_path / "notes.txt"
    taken.write_text("not a bank\n")
    for bank_dir in (taken, taken / "bank"):
        with pytest.raises(IngestError, match=f"^{bank_dir}: "):
            run_index([lspet_images[0]], bank_dir, FAST)
        result = CliRunner().invoke(app, ["index", str(lspet_images[0]), "--bank", str(bank_dir)],
                                    env={"COLUMNS": "400"})
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (
            result.exception)
        assert result.output.startswith(f"error: {bank_dir}: "), result.output
    assert taken.read_text() == "not a bank\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_bank_folder_is_an_error_naming_it(lspet_images, tmp_path):
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    bank_dir.chmod(0o555)
    try:
        with pytest.raises(IngestError, match=f"^{bank_dir}: cannot write"):
            run_index([lspet_images[0]], bank_dir, FAST)
    finally:
        bank_dir.chmod(0o755)


def test_cli_indexes_into_and_searches_a_bank_on_s3(some_photos, s3_bank, tmp_path):
    """--bank s3://... is a URI all the way down (a Path would make it s3:/...)."""
    options = ("--bank", s3_bank, "--model", "lightning", "--mode", "fast", "--max-people",
               "1", "--workers", "1")
    first = subprocess.run(_cli(str(some_photos), *options), capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr
    bank = PoseBank.load(s3_bank)
    assert len(bank) > 0 and f"the bank now holds {len(bank):,}" in first.stdout
    assert not (Path.cwd() / "s3:").exists()
    again = subprocess.run(_cli(str(some_photos), *options), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "0 entries added" in again.stdout and len(PoseBank.load(s3_bank)) == len(bank)
    query = tmp_path / "pose.json"
    query.write_text(json.dumps(bank.keypoints[0].tolist()))
    found = subprocess.run([sys.executable, "-m", "movemirror.cli.main", "search", str(query),
                            "--bank", s3_bank, "--json", "-k", "1"],
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["matches"][0]["id"] == bank.ids[0]


@pytest.mark.parametrize(("options", "message"), [
    (["--engine", "spark"], "--engine takes local or ray, not 'spark'"),
    (["--address", "10.0.0.5:6379"], "--address is for --engine ray"),
    (["--device", "tpu"], "--device takes auto, cpu or cuda, not 'tpu'"),
])
def test_cli_refuses_unknown_engines_and_devices(some_photos, tmp_path, options, message):
    out = subprocess.run(_cli(str(some_photos), "--bank", str(tmp_path / "bank"), *options),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and message in out.stdout + out.stderr
    assert not (tmp_path / "bank").exists()


def test_damaged_bank_is_not_overwritten(indexed, tmp_path):
    bank_dir = copy_bank(indexed, tmp_path)
    for data in (bank_dir / "poses.lance" / "data").iterdir():
        data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(Exception, match="rebuild"):
        run_index([indexed.photos], bank_dir, FAST)
    with pytest.raises(BankError):
        PoseBank.load(bank_dir)


def test_a_bank_whose_sources_table_is_not_a_ledger_is_refused_and_kept(indexed, tmp_path):
    foreign = PoseBank.load(indexed.bank_dir)
    foreign.tables[LEDGER] = pa.table({"path": ["elsewhere.jpg"]})
    bank_dir = tmp_path / "bank"
    foreign.save(bank_dir)
    with pytest.raises(IngestError, match="is not the ledger .* use --rebuild"):
        run_index([indexed.photos], bank_dir, FAST)
    kept = PoseBank.load(bank_dir)
    assert kept.ids == foreign.ids and kept.tables[LEDGER].num_rows == 1


def test_blazepose_indexes_photos_with_multipose_finding_the_people(lspet_images, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for image in lspet_images[:4]:
        shutil.copy(image, photos / image.name)
    settings = Settings(model="blazepose-full", mode="crop", max_people=2, thumb_size=96)
    summary = run_index([photos], tmp_path / "bank", settings)
    bank = PoseBank.load(tmp_path / "bank")
    assert summary.files_done == 4 and len(bank) >= 3
    assert {bank.record(i)["model"] for i in range(len(bank))} == {"blazepose-full"}


def test_work_done_is_committed_while_a_long_video_is_still_running(lspet_images, street_video,
                                                                     tmp_path):
    """Photos finished before a long video must reach the bank while the video runs, not when
    it ends: a run killed meanwhile would otherwise redo them, and every run killed before
    its slowest unit ends would make no progress at all."""
    from movemirror.ingest.run import SilentReporter

    archive = tmp_path / "archive"
    archive.mkdir()
    for i, image in enumerate(lspet_images[:4]):
        shutil.copy(image, archive / f"a{i}.jpg")
    shutil.copy(street_video, archive / "z_street.avi")  # one worker: the photos go first
    events: list[tuple[str, object]] = []

    class Watch(SilentReporter):
        def unit_done(self, result, summary):
            events.append(("done", result.unit.kind))

        def committed(self, bank_entries):
            events.append(("committed", bank_entries))

    run_index([archive], tmp_path / "bank", replace(LOOSE, every_ms=40), workers=1,
              commit_every=0.2, reporter=Watch())
    last_photo = max(i for i, event in enumerate(events) if event == ("done", "photo"))
    video = events.index(("done", "video"))
    assert last_photo < video
    assert any(kind == "committed" for kind, _ in events[last_photo + 1:video]), events


def test_sources_without_a_photo_or_video_are_an_error_and_make_no_bank(bad_files, tmp_path):
    """A folder of documents (or an unmounted drive's empty mount point) must not end in an
    empty bank and success: the run fails, names the files it refused, and writes nothing."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "notes.txt").write_text("a list of the photos, not a photo\n")
    (documents / "inventory.csv").write_text("id,title\n1,dancer\n")
    bank_dir = tmp_path / "bank"
    empty = tmp_path / "bad" / "empty.jpg"
    out = subprocess.run(_cli(str(documents), str(empty), "--bank", str(bank_dir),
                              "--workers", "1"), capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "no photo or video" in out.stderr and str(documents) in out.stderr, out.stderr
    assert f"{empty}: empty file (0 bytes)" in out.stdout  # what was refused, and why
    assert not bank_dir.exists()
    with pytest.raises(IngestError, match="no photo or video"):
        run_index([documents], bank_dir, FAST)
    assert not bank_dir.exists()


def test_media_files_that_all_fail_leave_an_empty_bank_and_an_error_but_keep_the_ledger(
        bad_files, tmp_path):
    """Every media file unreadable: the run must not end in success with a bank of 0 entries.
    It fails with a line saying nothing was indexed; the ledger keeps the files' failures, so
    running it again does not read them again (and fails the same way)."""
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("truncated.jpg", "corrupt.mp4"):
        shutil.copy(tmp_path / "bad" / name, archive / name)
    bank_dir = tmp_path / "bank"
    for attempt in range(2):
        out = subprocess.run(_cli(str(archive), "--bank", str(bank_dir), "--workers", "1",
                                  "--model", "lightning", "--mode", "fast"),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 1, (attempt, out.stdout + out.stderr)
        assert "nothing was indexed" in out.stderr and "the bank is empty" in out.stderr, (
            out.stderr)
        assert "2 media files" in out.stderr, out.stderr
        if attempt == 0:
            for name in ("truncated.jpg", "corrupt.mp4"):  # why each gave nothing
                assert f"{archive / name}: {bad_files[name]}" in out.stdout, out.stdout
        else:  # resumed: read no more, and say where the reasons are
            assert "2 already in the bank" in out.stdout, out.stdout
            assert "bank info" in out.stderr and "--skipped" in out.stderr, out.stderr
    ledger = PoseBank.load(bank_dir).tables["sources"].to_pylist()
    assert sorted(row["status"] for row in ledger) == ["skipped", "skipped"]
    assert len(PoseBank.load(bank_dir)) == 0


def test_a_run_that_stops_early_closes_its_engine():
    """The engine's results are pulled on a thread of their own; when the run stops early
    (an error in the run's thread), closing them must close the engine's iterator (for the
    local engine, its process pool) rather than leave it working in the background."""
    import threading

    from movemirror.ingest.run import _FINISHED, _Results

    closed = threading.Event()

    def endless_engine():
        try:
            unit = 0
            while True:
                yield unit
                unit += 1
                time.sleep(0.01)
        finally:
            closed.set()

    results = _Results(endless_engine())
    assert results.next(5) == 0
    results.close()
    assert closed.wait(5), "the engine was left running"
    left = [results.next(5)]  # what was pulled before the stop, then the end
    while left[-1] is not _FINISHED and len(left) < 3:
        left.append(results.next(5))
    assert left[-1] is _FINISHED
