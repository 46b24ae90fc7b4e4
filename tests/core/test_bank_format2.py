"""The bank as Lance datasets (format 2): appends, versions, pictures by row, tables per
version, format 1 read-only and its upgrade, a writer killed mid-append, and S3."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image
from typer.testing import CliRunner

from movemirror.bank import PoseBank, format1, storage
from movemirror.cli.main import app
from movemirror.errors import BankError

runner = CliRunner()


@pytest.fixture(scope="module")
def poses(penn_valid):
    """2,000 real poses, in the order of their clips."""
    return penn_valid[0][:2000]


def _ids(start: int, count: int) -> list[str]:
    return [f"pose-{i}" for i in range(start, start + count)]


def _jpeg(value: int) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), (value % 256, 40, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def _data_files(path) -> set[str]:
    return {p.name for p in (path / "poses.lance" / "data").iterdir()}


def test_save_appends_only_the_new_poses_and_each_version_stays_readable(poses, tmp_path):
    path = tmp_path / "bank"
    first = PoseBank.from_keypoints(poses[:1000], ids=_ids(0, 1000),
                                    meta={"source": ["a"] * 1000})
    first.save(path)
    files_before = {name: (path / "poses.lance" / "data" / name).read_bytes()
                    for name in _data_files(path)}
    bank = PoseBank.load(path)
    assert bank.add(poses[1000:1500], ids=_ids(1000, 500), meta={"source": ["b"] * 500}) == 500
    bank.save()
    # The first version's files are untouched; one new file holds the 500 new poses.
    after = _data_files(path)
    assert set(files_before) < after and len(after) == len(files_before) + 1
    for name, data in files_before.items():
        assert (path / "poses.lance" / "data" / name).read_bytes() == data
    latest = PoseBank.load(path)
    assert len(latest) == 1500 and latest.ids == _ids(0, 1500)
    np.testing.assert_array_equal(latest.keypoints, poses[:1500])
    np.testing.assert_array_equal(latest.vectors, bank.vectors)
    assert latest.record(1200)["source"] == "b" and latest.record(3)["source"] == "a"
    older = PoseBank.load(path, version=int(first.generation))
    assert len(older) == 1000 and older.ids == _ids(0, 1000)
    with pytest.raises(BankError, match="no version 99"):
        PoseBank.load(path, version=99)
    # The found matches of the appended bank are the exact ones of a bank built in one go.
    whole = PoseBank.from_keypoints(poses[:1500])
    for a, b in zip(latest.search(poses[::97], k=5), whole.search(poses[::97], k=5),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_adding_a_pose_twice_adds_it_once(poses, tmp_path):
    bank = PoseBank.from_keypoints(poses[:100], ids=_ids(0, 100))
    bank.save(tmp_path / "bank")
    again = PoseBank.load(tmp_path / "bank")
    assert again.add(poses[50:150], ids=_ids(50, 100)) == 50  # 50..99 are there already
    assert again.add(poses[50:150], ids=_ids(50, 100)) == 0
    with pytest.raises(ValueError, match="ids must be unique"):
        again.add(poses[:3], ids=["new", "other", "new"])
    again.save()
    assert PoseBank.load(tmp_path / "bank").ids == _ids(0, 150)
    unnamed = PoseBank.from_keypoints(poses[:3])
    assert unnamed.add(poses[3:5]) == 2 and unnamed.ids == ["0", "1", "2", "3", "4"]


def test_adds_leave_out_every_known_id_whatever_the_order_and_keep_the_rest(poses, tmp_path):
    bank = PoseBank.from_keypoints(poses[:400], ids=_ids(0, 400))
    bank.save(tmp_path / "bank")
    loaded = PoseBank.load(tmp_path / "bank")
    rng = np.random.default_rng(0)
    expected = list(range(400))
    for _ in range(12):  # batches mixing saved, added and new ids, shuffled
        rows = rng.choice(1000, size=int(rng.integers(1, 150)), replace=False)
        new = [int(r) for r in rows if r not in set(expected)]
        assert loaded.add(poses[rows], ids=[f"pose-{r}" for r in rows]) == len(new)
        expected += new
    assert loaded.ids == [f"pose-{r}" for r in expected]
    np.testing.assert_array_equal(loaded.keypoints, poses[expected])
    assert loaded.contains_ids(["pose-0", expected and f"pose-{expected[-1]}", "pose-5000"]
                               ).tolist() == [True, True, False]
    loaded.save()
    again = PoseBank.load(tmp_path / "bank")
    assert again.add(poses[expected], ids=[f"pose-{r}" for r in expected]) == 0
    assert len(again) == len(expected)


def test_pictures_are_read_by_row_before_and_after_commits(poses, tmp_path):
    path = tmp_path / "bank"
    pictures = [_jpeg(i) if i % 3 else None for i in range(30)]
    bank = PoseBank.from_keypoints(poses[:30], ids=_ids(0, 30), meta={"image": pictures})
    assert "image" not in bank.records.column_names
    assert bank.image(4) == pictures[4] and bank.image(3) is None
    bank.save(path)
    bank.add(poses[30:40], ids=_ids(30, 10), meta={"image": [_jpeg(99)] * 10})
    assert bank.image(35) == _jpeg(99) and bank.image(4) == pictures[4]  # pending and stored
    bank.save()
    loaded = PoseBank.load(path)
    assert loaded.images([1, 3, 39]) == [pictures[1], None, _jpeg(99)]
    with Image.open(__import__("io").BytesIO(loaded.image(2))) as picture:
        assert picture.size == (24, 32)
    with pytest.raises(IndexError, match="row 40"):
        loaded.image(40)
    copy = tmp_path / "copy"
    loaded.save(copy)  # a whole new bank elsewhere takes the pictures along
    assert PoseBank.load(copy).image(39) == _jpeg(99)


def test_tables_grow_by_appends_and_each_version_has_its_own_rows(poses, tmp_path):
    path = tmp_path / "bank"
    bank = PoseBank.from_keypoints(poses[:10], ids=_ids(0, 10))
    bank.tables["sources"] = pa.table({"path": ["a.jpg"]})
    bank.save(path)
    v1 = int(bank.generation)
    bank.add(poses[10:20], ids=_ids(10, 10))
    bank.tables["sources"] = pa.table({"path": ["a.jpg", "b.jpg"]})
    bank.save()
    assert PoseBank.load(path).tables["sources"].column("path").to_pylist() == ["a.jpg", "b.jpg"]
    assert PoseBank.load(path, version=v1).tables["sources"].column("path").to_pylist() == [
        "a.jpg"]
    bank.tables["sources"] = pa.table({"path": ["changed.jpg", "b.jpg"]})
    with pytest.raises(ValueError, match="changed, not only grew"):
        bank.save()


def test_new_metadata_columns_cannot_be_appended_but_missing_ones_are_null(poses, tmp_path):
    path = tmp_path / "bank"
    PoseBank.from_keypoints(poses[:5], ids=_ids(0, 5), meta={"source": ["a"] * 5}).save(path)
    bank = PoseBank.load(path)
    bank.add(poses[5:7], ids=_ids(5, 2))
    bank.save()
    assert PoseBank.load(path).record(6)["source"] is None
    bank.add(poses[7:8], ids=_ids(7, 1), meta={"colour": ["red"]})
    with pytest.raises(BankError, match="no column colour"):
        bank.save()
    assert len(PoseBank.load(path)) == 7


# --- format 1 -----------------------------------------------------------------------------

@pytest.fixture
def format1_bank(poses, tmp_path):
    """A format-1 bank as movemirror 0.x wrote it: manifest, Parquet, .npy, thumbs/."""
    path = tmp_path / "old"
    bank = PoseBank.from_keypoints(poses[:40], ids=_ids(0, 40))
    names = [f"thumbs/po/{i}.jpg" if i % 2 == 0 else None for i in range(len(bank))]
    for i, name in enumerate(names):
        if name:
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(_jpeg(i))
    records = bank.records.append_column("thumbnail", pa.array(names, pa.string()))
    format1.write_bank(path, records, bank.vectors,
                       tables={"sources": pa.table({"path": ["x.jpg", "y.mp4"]})})
    return path, bank


def test_a_format1_bank_opens_read_only(format1_bank):
    path, original = format1_bank
    bank = PoseBank.load(path)
    assert bank.format == 1 and bank.ids == original.ids
    np.testing.assert_array_equal(bank.vectors, original.vectors)
    assert bank.image(2) == _jpeg(2) and bank.image(1) is None
    bank.add(original.keypoints[:1], ids=["new"])
    with pytest.raises(BankError, match="read-only.*bank upgrade"):
        bank.save()
    with pytest.raises(BankError, match="no versions"):
        PoseBank.load(path, version=1)
    assert len(PoseBank.load(path)) == 40


def test_a_format1_bank_gone_is_named_as_every_bank_command_names_it(format1_bank):
    # Format 1's reader once said "not a directory" of a folder that was not there at all.
    path, _ = format1_bank
    path.rename(path.with_name("moved"))
    with pytest.raises(BankError, match=r"old: no bank here \(it does not exist\)$"):
        format1.read_bank(path)
    path.write_text("")
    with pytest.raises(BankError, match=r"old: no bank here \(a file, not a directory\)$"):
        format1.read_bank(path)
    format1.read_bank(path.with_name("moved"))  # the bank itself is intact where it went


def test_upgrade_converts_in_place_with_pictures_and_ledger(format1_bank):
    path, original = format1_bank
    result = runner.invoke(app, ["bank", "upgrade", str(path)])
    assert result.exit_code == 0, result.output
    assert "40 poses, 20 pictures" in result.output
    assert sorted(p.name for p in path.iterdir()) == ["poses.lance", "sources.lance"]
    bank = PoseBank.load(path)
    assert bank.format == 2 and bank.ids == original.ids
    np.testing.assert_array_equal(bank.keypoints, original.keypoints)
    np.testing.assert_array_equal(bank.vectors, original.vectors)
    assert bank.image(2) == _jpeg(2) and bank.image(1) is None
    assert bank.tables["sources"].column("path").to_pylist() == ["x.jpg", "y.mp4"]
    again = runner.invoke(app, ["bank", "upgrade", str(path)])
    assert again.exit_code == 0 and "already format 2" in again.output


def test_upgrade_names_a_folder_without_a_bank_as_the_other_bank_commands_do(tmp_path,
                                                                           monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)  # given relative, as a user types it
    for folder in ("empty", "missing"):
        said = [runner.invoke(app, ["bank", command, folder]) for command in ("upgrade", "info")]
        assert [result.exit_code for result in said] == [1, 1]
        assert said[0].output == said[1].output  # once "error: empty: no bank here"
        assert said[0].output.startswith(f"error: {tmp_path / folder}: no bank here (")


def test_an_open_format1_bank_shows_its_pictures_after_an_upgrade_beside_it(format1_bank):
    path, _ = format1_bank
    served = PoseBank.load(path)  # a server on the old bank; `bank upgrade` runs beside it
    assert served.format == 1 and served.image(2) == _jpeg(2) and len(served.ids) == 40
    result = runner.invoke(app, ["bank", "upgrade", str(path)])
    assert result.exit_code == 0, result.output
    assert not (path / "thumbs").exists()
    assert served.images([2, 1, 38]) == [_jpeg(2), None, _jpeg(38)]


def test_an_interrupted_upgrade_leaves_the_format1_bank(format1_bank, monkeypatch):
    path, original = format1_bank

    def killed(folder):
        raise KeyboardInterrupt("killed before the switch")

    monkeypatch.setattr(storage, "_remove_format1", killed)
    with pytest.raises(KeyboardInterrupt):
        storage.upgrade(path)
    monkeypatch.undo()
    assert (path / "poses.lance").is_dir()  # written, but not switched to
    bank = PoseBank.load(path)
    assert bank.format == 1 and len(bank) == 40 and bank.image(0) == _jpeg(0)
    assert storage.upgrade(path) == (40, 20)
    assert PoseBank.load(path).format == 2


# --- crashes ------------------------------------------------------------------------------

_WRITER = """
import sys
import numpy as np
from movemirror.bank import PoseBank

bank = PoseBank.load(sys.argv[1])
poses = np.load(sys.argv[2])
step = int(sys.argv[3])
while True:
    start = len(bank)
    rows = np.arange(start, start + step) % len(poses)
    bank.add(poses[rows], ids=[f"pose-{i}" for i in range(start, start + step)],
             meta={"image": [bytes([i % 251]) * 3000 for i in range(step)]})
    bank.save()
    print(len(bank), flush=True)
"""


def test_a_writer_killed_mid_append_leaves_the_last_committed_version(poses, tmp_path):
    path, step = tmp_path / "bank", 1000
    PoseBank.from_keypoints(poses[:step], ids=_ids(0, step)).save(path)
    np.save(tmp_path / "poses.npy", poses)
    rng = np.random.default_rng(7)
    for attempt in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(tmp_path / "poses.npy"), str(step)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            committed = [int(writer.stdout.readline()) for _ in range(2)]
            time.sleep(float(rng.uniform(0.0, 0.6)))  # somewhere inside the next append
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(30)
        bank = PoseBank.load(path)
        # What the writer last said it committed, or the commit it made before it could say.
        assert len(bank) >= committed[-1] and len(bank) % step == 0, (attempt, len(bank))
        assert bank.ids == _ids(0, len(bank))
        np.testing.assert_array_equal(bank.keypoints[-1], poses[(len(bank) - 1) % len(poses)])
        assert bank.image(len(bank) - 1) == bytes([(step - 1) % 251]) * 3000
    bank.add(poses[:10], ids=_ids(len(bank), 10))
    bank.save()  # the files a killed writer left behind are no obstacle
    assert len(PoseBank.load(path)) == len(bank)


def test_a_whole_write_killed_before_its_tables_leaves_no_stale_ledger(poses, tmp_path,
                                                                       monkeypatch):
    from movemirror.bank import lance_store

    path = tmp_path / "bank"
    old = PoseBank.from_keypoints(poses[:20], ids=_ids(0, 20))
    old.tables["sources"] = pa.table({"path": ["old.jpg"]})
    old.save(path)
    real_write_table = lance_store._write_table

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed between the poses and the ledger")

    monkeypatch.setattr(lance_store, "_write_table", killed)
    rebuilt = PoseBank.from_keypoints(poses[20:25], ids=_ids(20, 5))
    rebuilt.tables["sources"] = pa.table({"path": ["new.jpg"]})
    with pytest.raises(KeyboardInterrupt):
        rebuilt.save(path)  # a rebuild over the old bank
    monkeypatch.setattr(lance_store, "_write_table", real_write_table)
    after = PoseBank.load(path)
    # The rebuilt poses landed; the old bank's ledger rows are not theirs.
    assert after.ids == _ids(20, 5) and after.tables["sources"].num_rows == 0
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(lance_store, "_write_table", killed)
    with pytest.raises(KeyboardInterrupt):
        rebuilt.save(fresh)  # a first write: its ledger dataset never existed
    monkeypatch.setattr(lance_store, "_write_table", real_write_table)
    loaded = PoseBank.load(fresh)
    assert loaded.ids == _ids(20, 5) and "sources" not in loaded.tables
    loaded.tables["sources"] = pa.table({"path": ["new.jpg"]})
    loaded.save()  # the next commit writes the ledger
    assert PoseBank.load(fresh).tables["sources"].column("path").to_pylist() == ["new.jpg"]


# --- object storage -------------------------------------------------------------------------

def test_a_bank_on_s3_appends_versions_and_pictures(poses, s3_bank):
    bank = PoseBank.from_keypoints(poses[:200], ids=_ids(0, 200),
                                   meta={"image": [_jpeg(i) for i in range(200)]})
    bank.save(s3_bank)
    assert storage.bank_format(s3_bank) == 2
    loaded = PoseBank.load(s3_bank)
    assert loaded.path == s3_bank and loaded.ids == _ids(0, 200)
    loaded.add(poses[200:300], ids=_ids(200, 100))
    loaded.tables["sources"] = pa.table({"path": ["one.mp4"]})
    loaded.save()
    latest = PoseBank.load(s3_bank)
    assert len(latest) == 300 and latest.image(7) == _jpeg(7) and latest.image(250) is None
    np.testing.assert_array_equal(latest.keypoints, poses[:300])
    assert latest.tables["sources"].num_rows == 1
    assert len(PoseBank.load(s3_bank, version=int(bank.generation))) == 200
    assert [v["poses"] for v in storage.history(s3_bank)][:2] == [200, 300]
    with pytest.raises(BankError, match="no bank here"):
        PoseBank.load(s3_bank.rsplit("/", 2)[0] + "/elsewhere")


# --- the CLI --------------------------------------------------------------------------------

def _bank_of_four_commits(poses, path):
    """400 poses saved in four commits of 100: four fragments."""
    bank = PoseBank.from_keypoints(poses[:100], ids=_ids(0, 100))
    bank.save(path)
    for start in range(100, 400, 100):
        bank.add(poses[start:start + 100], ids=_ids(start, 100))
        bank.save()
    return path


def test_bank_history_and_compact(poses, tmp_path):
    path = _bank_of_four_commits(poses, tmp_path / "bank")
    history = runner.invoke(app, ["bank", "history", str(path)])
    assert history.exit_code == 0, history.output
    lines = [line.replace("│", " ").split() for line in history.output.splitlines()]
    rows = [line for line in lines if line and line[0].isdigit()]
    assert [(int(r[0]), r[-2], int(r[-1])) for r in rows] == [
        (1, "100", 1), (2, "200", 2), (3, "300", 3), (4, "400", 4)]
    compacted = runner.invoke(app, ["bank", "compact", str(path)])
    assert compacted.exit_code == 0, compacted.output
    assert "poses.lance: 4 fragments -> 1" in compacted.output
    again = runner.invoke(app, ["bank", "compact", str(path)])
    assert f"{path}: nothing to compact (poses.lance: 1 fragment)" in again.output
    after = PoseBank.load(path)
    assert after.ids == _ids(0, 400) and int(after.generation) > 4  # a new version
    np.testing.assert_array_equal(after.keypoints, poses[:400])
    info = runner.invoke(app, ["bank", "info", str(path), "--version", "2"])
    assert info.exit_code == 0 and ": 200 poses\nformat 2, version 2\n" in info.output
    missing = runner.invoke(app, ["bank", "history", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no bank here" in missing.output


def test_compact_of_a_bank_that_cannot_be_written_is_a_one_line_error(poses, tmp_path):
    path = _bank_of_four_commits(poses, tmp_path / "bank")
    largest = max(f.stat().st_size for f in (path / "poses.lance" / "data").iterdir())
    # No file may grow past the appends' largest (RLIMIT_FSIZE binds root too): the merged
    # file cannot be written, as on a full disk.
    out = subprocess.run(
        [sys.executable, "-m", "movemirror.cli.main", "bank", "compact", str(path)],
        capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (largest, largest)))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}"), out.stderr
    assert "File too large" in lines[0]
    assert PoseBank.load(path).ids == _ids(0, 400)


def test_compact_can_remove_old_versions_and_their_files_but_never_the_latest(poses,
                                                                              tmp_path):
    path = tmp_path / "bank"
    bank = PoseBank.from_keypoints(poses[:100], ids=_ids(0, 100),
                                   meta={"image": [_jpeg(i) for i in range(100)]})
    bank.tables["sources"] = pa.table({"path": ["a.jpg"]})
    bank.save(path)
    for start in range(100, 400, 100):
        bank.add(poses[start:start + 100], ids=_ids(start, 100))
        bank.tables["sources"] = pa.concat_tables([bank.tables["sources"],
                                                   pa.table({"path": [f"{start}.jpg"]})])
        bank.save()
    appended = _data_files(path)
    assert len(appended) == 4
    versions = len(storage.history(path))
    young = runner.invoke(app, ["bank", "compact", str(path), "--prune-older-than", "1h"])
    assert young.exit_code == 0, young.output
    assert "poses.lance: 0 old versions removed" in young.output
    kept = storage.history(path)
    assert len(kept) > versions and kept[-1]["fragments"] == 1  # all young: all kept
    assert _data_files(path) >= appended
    pruned = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert pruned.exit_code == 0, pruned.output
    assert f"poses.lance: {len(kept) - 1} old versions removed" in pruned.output
    assert not _data_files(path) & appended  # the appends' files are gone
    [latest] = storage.history(path)
    assert latest["poses"] == 400 and latest["fragments"] == 1
    after = PoseBank.load(path)
    assert after.ids == _ids(0, 400) and after.image(7) == _jpeg(7)
    np.testing.assert_array_equal(after.keypoints, poses[:400])
    assert after.tables["sources"].column("path").to_pylist() == [
        "a.jpg", "100.jpg", "200.jpg", "300.jpg"]
    with pytest.raises(BankError, match="no version 2"):
        PoseBank.load(path, version=2)
    again = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert again.exit_code == 0 and f"{path}: no old version to remove" in again.output
    assert PoseBank.load(path).ids == _ids(0, 400)
    refused = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "0"])
    assert refused.exit_code == 2  # typer's range check
    refused = runner.invoke(app, ["bank", "compact", str(path), "--prune-older-than", "soon"])
    assert refused.exit_code == 2 and "give a number and a unit" in refused.output


@pytest.mark.parametrize("version", [-1, 0, 1.5, "1", True])
def test_a_version_that_cannot_exist_is_named(poses, tmp_path, version):
    # version=-1 once said "damaged bank: can't convert negative int to unsigned", "1" said
    # "no bank here (poses.lance is missing)" of a bank that is there, 1.5 "damaged bank".
    PoseBank.from_keypoints(poses[:50]).save(tmp_path / "b")
    with pytest.raises(BankError, match=f"the bank has no version {version!r}; versions are "
                                        "whole numbers from 1"):
        PoseBank.load(tmp_path / "b", version=version)


def test_an_open_bank_shows_its_pictures_after_compact_removes_its_version(poses, tmp_path):
    # A server opened the bank, then `bank compact --keep-versions 1` ran beside it: the
    # files of the version it holds are gone, its poses are in the newest version.
    path = tmp_path / "bank"
    bank = PoseBank.from_keypoints(poses[:20], ids=_ids(0, 20),
                                   meta={"image": [_jpeg(i) for i in range(20)]})
    bank.save(path)
    bank.add(poses[20:30], ids=_ids(20, 10), meta={"image": [_jpeg(50)] * 10})
    bank.save()
    served = PoseBank.load(path)
    assert served.image(25) == _jpeg(50)  # its version's files opened and read once
    assert served.ids == _ids(0, 30)  # its records read, as a server's are at start
    bank.add(poses[30:40], ids=_ids(30, 10), meta={"image": [_jpeg(60)] * 10})
    bank.save()
    pruned = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert pruned.exit_code == 0, pruned.output
    with pytest.raises(BankError, match="no version"):
        PoseBank.load(path, version=int(served.generation))
    assert served.images([3, 25, 29]) == [_jpeg(3), _jpeg(50), _jpeg(50)]
    bank.add(poses[40:50], ids=_ids(40, 10))  # the next night's commit and compact
    bank.save()
    again = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert again.exit_code == 0 and "0 old versions removed" not in again.output
    assert served.images([3, 25]) == [_jpeg(3), _jpeg(50)]


def test_an_open_bank_shows_no_other_banks_pictures_when_its_folder_is_replaced(
        poses, tmp_path):
    path = tmp_path / "bank"
    PoseBank.from_keypoints(poses[:20], ids=_ids(0, 20),
                            meta={"image": [_jpeg(i) for i in range(20)]}).save(path)
    served = PoseBank.load(path)
    assert served.image(1) == _jpeg(1) and served.ids == _ids(0, 20)
    other = tmp_path / "other"
    PoseBank.from_keypoints(poses[:30], ids=_ids(100, 30),
                            meta={"image": [_jpeg(200)] * 30}).save(other)
    old = tmp_path / "old"
    path.rename(old)
    other.rename(path)  # another bank now where this one was
    shutil.rmtree(old)
    assert served.images([1, 2]) == [None, None]  # never the other bank's pictures
    shutil.rmtree(path)
    with pytest.raises(BankError, match="no bank here"):
        served.image(1)  # and no bank at all: an error naming it (the server's 503)
