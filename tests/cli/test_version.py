"""`movemirror --version` and `python -m movemirror`: the version from its one home, and the
command reachable without its script on the PATH."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

import movemirror
from movemirror.cli.main import app


def test_version_prints_the_packages_one_version_and_exits_0():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"movemirror {movemirror.__version__}\n"


def test_version_comes_before_any_command_and_is_in_the_help():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "--version" in result.output and "Show the version and exit." in result.output
    assert "<bool>" not in result.output


def test_python_dash_m_movemirror_is_the_movemirror_command():
    run = subprocess.run([sys.executable, "-m", "movemirror", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (
        0, f"movemirror {movemirror.__version__}\n", "")
    run = subprocess.run([sys.executable, "-m", "movemirror", "search", "--metric", "nope", "x"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Usage: movemirror search" in run.stderr
    assert "--metric takes cosine, weighted, torso or likeness, not 'nope'" in run.stderr
