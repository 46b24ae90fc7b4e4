"""The core install works without the [bench] extra; the bench commands say how to get it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.bench import extra
from movemirror.cli.main import app

REPO = Path(__file__).parents[2]
# Import names of the [bench] packages (distribution names may differ from them).
BENCH_MODULES = ("scipy", "matplotlib", "playwright")

# Runs the CLI with every [bench] package made unimportable, as in an install without it.
WITHOUT_BENCH = f"""
import importlib.abc, sys

class WithoutBench(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BENCH_MODULES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (no [bench] extra)", name=name)
        return None

sys.meta_path.insert(0, WithoutBench())
sys.argv = ["movemirror", *sys.argv[1:]]
from movemirror.cli.main import app
app()
"""


def pyproject_bench() -> list[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return data["project"]["optional-dependencies"]["bench"]


def test_the_extra_is_read_from_the_installed_metadata_as_pyproject_declares_it():
    names = [requirement.split(">")[0].split("=")[0].split("[")[0].strip()
             for requirement in pyproject_bench()]
    assert extra.bench_requirements() == names
    assert {"scipy", "matplotlib", "playwright"} <= set(names)
    core = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(dep.startswith(tuple(names)) for dep in core)


def test_bench_without_its_extra_names_the_install(monkeypatch):
    installed = metadata.version

    def version(name):
        if name == "matplotlib":
            raise metadata.PackageNotFoundError(name)
        return installed(name)

    monkeypatch.setattr(extra.metadata, "version", version)
    assert extra.missing_bench_packages() == ["matplotlib"]
    result = CliRunner().invoke(app, ["bench", "search", "--quick"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # however the console wraps it
    assert "matplotlib" in said and "pip install 'movemirror[bench]'" in said
    # Help needs nothing beyond the core.
    assert CliRunner().invoke(app, ["bench", "search", "--help"]).exit_code == 0


def run_without_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_BENCH, *args], capture_output=True,
                          text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin"})


def test_core_commands_run_without_the_bench_packages(tmp_path, penn_valid):
    keypoints, clips = penn_valid
    bank = PoseBank.from_keypoints(keypoints[:200], meta={"source": [f"c{c}" for c in clips[:200]]})
    bank.save(tmp_path / "bank")
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps({"keypoints": keypoints[42].tolist()}))

    assert run_without_bench("--help").returncode == 0
    found = run_without_bench("search", "--bank", str(tmp_path / "bank"), str(pose), "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["matches"][0]["id"] == "42"
    info = run_without_bench("bank", "info", str(tmp_path / "bank"))
    assert info.returncode == 0, info.stderr
    assert "200" in info.stdout
    # The blocker really blocks: a bench command that needs scipy fails to import it.
    bench = run_without_bench("bench", "pose", "--quick", "--parts", "pck")
    assert bench.returncode != 0 and "scipy" in bench.stderr
