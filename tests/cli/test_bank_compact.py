"""`movemirror bank compact` on a bank with nothing to merge says so and leaves it as it was;
old versions still due for removal are removed, and only that is done."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from movemirror.bank import PoseBank, storage
from movemirror.cli.main import app

runner = CliRunner()


def _bank_of_two_commits(path):
    keypoints = np.random.default_rng(0).uniform(10, 200, (20, 17, 3))
    keypoints[..., 2] = 0.9
    bank = PoseBank.from_keypoints(keypoints[:10])
    bank.save(path)
    bank.add(keypoints[10:])
    bank.save()
    return path


def test_nothing_to_merge_is_said_and_the_bank_left_as_it_was(tmp_path):
    path = _bank_of_two_commits(tmp_path / "bank")
    assert runner.invoke(app, ["bank", "compact", str(path)]).exit_code == 0  # 2 -> 1
    versions = storage.history(path)
    again = runner.invoke(app, ["bank", "compact", str(path)])
    assert again.exit_code == 0, again.output
    assert again.output == f"{path}: nothing to compact (poses.lance: 1 fragment)\n"
    assert storage.history(path) == versions  # no new version


def test_only_the_pruning_still_due_is_done_and_said(tmp_path):
    path = _bank_of_two_commits(tmp_path / "bank")
    assert runner.invoke(app, ["bank", "compact", str(path)]).exit_code == 0
    versions = storage.history(path)
    assert len(versions) > 2 and versions[-1]["fragments"] == 1
    pruned = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert pruned.exit_code == 0, pruned.output
    nothing, removed = pruned.output.splitlines()
    assert nothing == f"{path}: nothing to compact (poses.lance: 1 fragment)"
    assert removed.startswith(f"poses.lance: {len(versions) - 1} old versions removed (")
    assert storage.history(path) == versions[-1:]  # the latest alone, not a new one
    again = runner.invoke(app, ["bank", "compact", str(path), "--keep-versions", "1"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"{path}: nothing to compact (poses.lance: 1 fragment)",
        f"{path}: no old version to remove"]
    assert storage.history(path) == versions[-1:]
