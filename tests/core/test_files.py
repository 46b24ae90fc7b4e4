import hashlib
import os

import pytest

from movemirror import files
from movemirror.files import file_sha256, sync_files, write_atomic, write_json_atomic


def test_write_atomic_replaces_in_one_step_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "new" / "folder" / "a.jpg"
    write_atomic(target, b"first")
    write_atomic(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert os.listdir(target.parent) == ["a.jpg"]
    assert file_sha256(target) == hashlib.sha256(b"second version").hexdigest()


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    write_json_atomic(target, {"count": 1})

    def crash(*args):
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(target, {"count": 2})
    monkeypatch.undo()
    assert target.read_text().replace(" ", "").replace("\n", "") == '{"count":1}'
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_synced_writes_flush_the_file_and_its_folder_and_nothing_else(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: synced.append(os.readlink(
        f"/proc/self/fd/{fd}")) or real_fsync(fd))
    monkeypatch.setattr(files.os, "sync", lambda: pytest.fail("the whole machine was synced"))
    write_atomic(tmp_path / "a" / "x.jpg", b"x", sync=False)
    write_atomic(tmp_path / "b" / "y.jpg", b"y", sync=False)
    assert synced == []
    sync_files([tmp_path / "a" / "x.jpg", tmp_path / "b" / "y.jpg"])
    assert sorted(synced) == sorted(str(tmp_path / p) for p in ("a/x.jpg", "b/y.jpg", "a", "b"))
