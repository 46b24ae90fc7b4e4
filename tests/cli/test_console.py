"""The CLI's console never cuts: no width off a terminal, folding (never `…`) on one."""

from __future__ import annotations

import io

from rich.table import Table

from movemirror.cli.console import UNLIMITED_WIDTH, UncutConsole

LONG_PATH = "/archive/" + "/".join(f"folder number {i} with spaces" for i in range(8)) + "/a.jpg"
REASON = "cannot decode image: image file is truncated (35 bytes not processed)"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _table() -> Table:
    table = Table("reason", "files", "for example")
    table.add_row(REASON, "1,012", LONG_PATH)
    return table


def test_piped_output_is_as_wide_as_its_contents_whatever_columns_says(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    console = UncutConsole(file=out)
    assert not console.on_terminal and console.width == UNLIMITED_WIDTH
    console.print(_table())
    console.print(f"{LONG_PATH}: {REASON}")
    text = out.getvalue()
    assert "…" not in text
    row = next(line for line in text.splitlines() if "1,012" in line)
    assert REASON in row and LONG_PATH in row
    assert f"{LONG_PATH}: {REASON}" in text.splitlines()
    assert max(len(line) for line in text.splitlines()) < 400  # nothing padded to the width


def test_force_color_in_a_log_does_not_bring_back_a_width(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    console = UncutConsole(file=out)
    assert console.is_terminal and not console.on_terminal  # colours yes, width no
    console.print(_table())
    assert "…" not in out.getvalue() and LONG_PATH in out.getvalue()


def test_a_narrow_terminal_folds_cells_and_never_elides():
    out = Terminal()
    console = UncutConsole(file=out, width=40, color_system=None)
    assert console.on_terminal and console.width == 40
    console.print(_table())
    lines = out.getvalue().splitlines()
    assert "…" not in out.getvalue() and max(len(line) for line in lines) <= 40
    # The last column, read down, is the whole path (wrapped at its spaces, or folded).
    cells = [line.rsplit("│", 2)[1] for line in lines if line.count("│") == 4]
    assert "".join(cells).replace(" ", "") == LONG_PATH.replace(" ", "")


def test_emoji_codes_in_paths_stay_as_they_are():
    out = io.StringIO()
    UncutConsole(file=out).print("/archive/:cd: rips/:fire:.jpg")
    assert out.getvalue() == "/archive/:cd: rips/:fire:.jpg\n"
