"""A bank folder that holds only the lock of an `movemirror index` run stopped before its first
save: every reader says so plainly, the lock of a dead run blocks no one, and the next run
indexes from the start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.bank.index_lock import LOCK, exclusive, held
from movemirror.cli.main import app
from movemirror.errors import BankError, IngestError
from movemirror.ingest.run import run_index
from movemirror.ingest.work import Settings
from movemirror.pose import ModelMissingError, PoseEstimator


def test_a_run_stopped_before_its_first_save_is_told_by_every_reader(tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / LOCK).touch()  # all a run stopped before its first save leaves behind
    with pytest.raises(BankError, match="stopped before its first save"):
        PoseBank.load(folder)
    runner = CliRunner()
    for command in (["bank", "info"], ["bank", "history"], ["bank", "compact"]):
        result = runner.invoke(app, [*command, str(folder)])
        assert result.exit_code == 1
        assert f"{folder}: no bank yet" in result.output
        assert "run the same `movemirror index` command again" in result.output


def test_a_run_at_work_before_its_first_save_is_told_apart(tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    with exclusive(folder):
        with pytest.raises(BankError, match="a `movemirror index` run is writing it"):
            PoseBank.load(folder)
        with pytest.raises(IngestError, match="another `movemirror index` is writing"):
            with exclusive(folder):
                pass
    with exclusive(folder):  # released: the next run takes it
        pass


# A run at work holding the lock, until it is killed.
HOLDER = """
import sys, time
from pathlib import Path
from movemirror.bank.index_lock import exclusive
lock = exclusive(Path(sys.argv[1])).__enter__()
print("held", flush=True)
time.sleep(600)
"""


def test_the_lock_of_a_dead_run_blocks_no_one(tmp_path, lspet_images):
    try:
        PoseEstimator(model="lightning", threads=1).load()
    except ModelMissingError as error:
        pytest.skip(str(error))
    folder = tmp_path / "bank"
    folder.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    assert held(folder)
    holder.kill()  # kill -9: no clean-up of its own
    holder.wait(timeout=30)
    assert (folder / LOCK).exists() and not held(folder)
    photos: list[Path] = lspet_images[:2]
    settings = Settings(model="lightning", mode="fast")
    summary = run_index(photos, folder, settings)
    assert summary.files == 2 and summary.already == 0
    assert len(PoseBank.load(folder)) == summary.bank_entries


def test_ctrl_c_before_any_save_says_what_the_folder_holds(tmp_path):
    from movemirror.cli.index import interrupted

    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / LOCK).touch()
    message = interrupted(str(folder), None, 10)
    assert f"before its first save (progress is saved every 10 s), so {folder} holds no bank " \
           "yet: run the same command again" in message
    keypoints = np.random.default_rng(0).uniform(10, 200, (2, 17, 3))
    keypoints[..., 2] = 0.9
    PoseBank.from_keypoints(keypoints).save(folder)
    # a bank there, but this run did not hear of a commit: its own may have just landed
    assert f"{folder} keeps what was saved (progress is saved every 10 s); the work since" \
           in interrupted(str(folder), None, 10)
    assert f"{folder} keeps what was saved (12 poses in all at this run's last commit)" \
           in interrupted(str(folder), 12, 10)


def test_ctrl_c_with_the_store_out_of_reach_still_says_how_to_go_on(monkeypatch):
    from movemirror.bank import storage
    from movemirror.cli.index import interrupted

    def unreachable(path):
        raise OSError("Generic S3 error: connection refused")

    monkeypatch.setattr(storage, "bank_format", unreachable)
    assert interrupted("s3://bucket/bank", None, 10) == (
        "interrupted: s3://bucket/bank keeps what was saved (progress is saved every 10 s); "
        "the work since is done again: run the same command again to go on from there")
