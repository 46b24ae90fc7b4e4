"""A comma-separated option is read once, by its parser (cli/values.py: choices), and the
command runs with the names that parser read; the command does not read the text again (it
did: the option's check read it, then the command's body, each with its own call)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from movemirror.bench import ingest as ingest_bench
from movemirror.bench import page as page_bench
from movemirror.bench import serve as serve_bench
from movemirror.cli import bench as bench_cli
from movemirror.cli import values
from movemirror.cli.main import app


class Stop(RuntimeError):
    """Raised by the stand-in for a benchmark's run, once it has the plan."""


@pytest.fixture
def reads(monkeypatch):
    """The texts read as lists of names, wherever they are read."""
    texts: list[str] = []
    real = values.listed_names

    def listed_names(text: str) -> tuple[str, ...]:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(values, "listed_names", listed_names)
    monkeypatch.setattr(bench_cli, "listed_names", listed_names, raising=False)
    return texts


def _plan_of(monkeypatch, module, *args: str):
    plans = []

    def run(plan, report):
        plans.append(plan)
        raise Stop("the plan is all this test needs")

    monkeypatch.setattr(module, "run", run)
    result = CliRunner().invoke(app, list(args))
    assert plans, result.output
    return plans[0]


def test_bench_page_runs_with_the_names_its_options_parser_read(monkeypatch, reads):
    plan = _plan_of(monkeypatch, page_bench, "bench", "page", "--models", "thunder, auto",
                    "--loops", "worker:1x2,main")
    assert plan.models == ("thunder", "auto") and plan.loops == ("worker:1x2", "main")
    assert sorted(reads) == ["thunder, auto", "worker:1x2,main"]  # each read once


def test_bench_serve_and_ingest_run_with_the_names_their_options_parser_read(monkeypatch,
                                                                             reads):
    plan = _plan_of(monkeypatch, serve_bench, "bench", "serve", "--loop", "closed")
    assert plan.loops == ("closed",)
    plan = _plan_of(monkeypatch, ingest_bench, "bench", "ingest", "--engine", "local,ray")
    assert plan.engines == ("local", "ray")
    assert reads == ["closed", "local,ray"]
