"""`movemirror index` in a log: a few plain progress lines, never a redrawn bar."""

from __future__ import annotations

import io

import pytest

from movemirror.cli import index as index_cli
from movemirror.cli.console import UncutConsole
from movemirror.ingest.run import Summary


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log(monkeypatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(index_cli, "console", UncutConsole(file=out))
    return out


def test_log_progress_is_one_line_per_interval(log):
    clock = Clock()
    reporter = index_cli.LogReporter(every=30.0, clock=clock)
    summary = Summary(files=1200, already=200, files_planned=1000, frames_planned=5000)
    with reporter:
        for files in range(500, 1201, 500):
            clock.now += 1
            reporter.scanning(files)
        reporter.planned(summary)
        for done in range(1, 1001):  # 1,000 files over 100 s
            clock.now += 0.1
            summary.files_done, summary.frames, summary.frames_progress = done, 5 * done, 5 * done
            reporter.unit_done(None, summary)
            reporter.committed(done)
    lines = log.getvalue().splitlines()
    assert lines[0] == "indexing: 1,000 files, 5,000 frames planned (200 files already in the bank)"
    assert 3 <= len(lines) - 1 <= 4  # 100 s at one line per 30 s
    assert lines[1] == "indexing: 1,500/5,000 frames, files 300/1,000, 50.0 frames/s"
    assert all("\r" not in line and "━" not in line for line in lines)


def test_skipped_files_in_a_log_are_one_line_each_path_then_reason(log):
    assert not index_cli.console.on_terminal
    skipped = [(f"/photos/{i}.jpg", "empty file (0 bytes)") for i in range(5)]
    index_cli.print_skipped(skipped, bank_dir=index_cli.Path("/bank"))
    lines = log.getvalue().splitlines()
    assert lines == ["5 files skipped:", *(f"{p}: {r}" for p, r in skipped)]


def test_skipped_files_on_a_terminal_are_a_table_with_examples_and_how_to_get_all(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setattr(index_cli, "console", UncutConsole(file=out, width=60, color_system=None))
    skipped = [(f"/photos/{i}.jpg", "empty file (0 bytes)") for i in range(5)]
    skipped.append(("/photos/x.jpg", "not an image"))
    index_cli.print_skipped(skipped, bank_dir=index_cli.Path("/bank"))
    text = out.getvalue()
    assert "6 files skipped" in text and "…" not in text
    assert "/photos/0.jpg" in text and "/photos/1.jpg" in text and "/photos/2.jpg" not in text
    assert "movemirror bank info /bank --skipped" in " ".join(text.split())


@pytest.mark.parametrize("width", [40, 60, 100])
def test_the_progress_bar_on_a_narrow_terminal_folds_and_cuts_no_number(monkeypatch, width):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setattr(index_cli, "console", UncutConsole(file=out, width=width,
                                                           color_system=None))
    reporter = index_cli.ProgressReporter()
    summary = Summary(files=12345, already=0, files_planned=12345, frames_planned=1234567)
    with reporter:
        reporter.planned(summary)
        summary.files_done, summary.frames, summary.frames_progress = 9876, 765432, 1000000
        reporter.unit_done(None, summary)
        reporter.committed(987654)
    final = out.getvalue().split("\r")[-1]  # the last drawing, left on the screen
    assert "…" not in final
    words = " ".join(final.split())  # wrapped onto more lines where narrow: between words
    for number in ("(987,654 saved)", "1000000/1234567 frames", "files 9,876/12,345"):
        assert number in words, final


def test_one_skipped_file_is_counted_in_the_singular(log):
    index_cli.print_skipped([("/photos/a.jpg", "empty file (0 bytes)")], bank_dir="/bank")
    assert log.getvalue().splitlines() == ["1 file skipped:", "/photos/a.jpg: empty file (0 bytes)"]


def test_a_source_that_does_not_exist_is_an_error_and_makes_no_bank(tmp_path):
    from typer.testing import CliRunner

    from movemirror.cli.main import app

    photo = tmp_path / "photos"
    photo.mkdir()
    result = CliRunner().invoke(app, ["index", str(photo), str(tmp_path / "fotos"),
                                      "--bank", str(tmp_path / "bank")], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    assert f"no such file or folder: {tmp_path / 'fotos'} (nothing was indexed)" in result.output
    assert not (tmp_path / "bank").exists()
