"""Output piped into a reader that stops early (`movemirror ... | head`): the command ends
quietly, finishes its work and exits with its own status (no traceback, no silent exit 1)."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.bench.server_process import movemirror_command
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError


def run_with_stdout_closed(*args) -> subprocess.CompletedProcess:
    """The real command with its stdout a pipe whose reader has gone before the first line."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    process = subprocess.Popen([movemirror_command(), *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `head` does once it has its lines
    stderr = process.stderr.read().decode()
    return subprocess.CompletedProcess(args, process.wait(timeout=300), "", stderr)


@pytest.fixture
def bank(tmp_path):
    keypoints = np.random.default_rng(0).uniform(10, 200, (30, 17, 3))
    keypoints[..., 2] = 0.9
    path = tmp_path / "bank"
    PoseBank.from_keypoints(keypoints).save(path)
    return path


def test_a_reader_that_stops_ends_a_listing_quietly(bank):
    result = run_with_stdout_closed("bank", "info", bank)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(("args", "status"), [
    (["--help"], 0),
    (["bank", "upgrade", "--help"], 0),
    ([], 2),  # no command: the help, and click's status for a command line that does nothing
])
def test_help_ends_quietly_when_its_reader_stops(args, status):
    # Typer prints help on a rich console of its own, whose broken pipe exited with 1.
    result = run_with_stdout_closed(*args)
    assert (result.returncode, result.stderr) == (status, "")


def test_index_goes_on_to_the_end_when_its_reader_stops(tmp_path):
    try:
        photo = sorted((dataset_dir("lspet") / "images").glob("*.jpg"))[0]
    except DatasetMissingError as error:
        pytest.skip(str(error))
    result = run_with_stdout_closed("index", photo, "--bank", tmp_path / "bank", "--any-body",
                                    "--workers", "1")
    assert (result.returncode, result.stderr) == (0, "")
    assert len(PoseBank.load(tmp_path / "bank")) >= 1  # the run was not cut short
