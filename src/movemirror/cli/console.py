"""Shared console output and error exits for the CLI: the one place that decides widths.

Nothing the CLI prints is ever cut to fit a width. On a terminal, lines wrap to the window and
table cells fold onto more lines (never `…`). Anywhere else (a pipe, a log file, a test), the
output has no width at all: every line and table is as wide as its contents, whatever
COLUMNS says, so a path, a reason or a number in a log is always whole.
"""

from __future__ import annotations

from contextlib import nullcontext
from copy import copy

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.table import Table

# The width of output that is not a terminal: wider than any line this tool prints, so that
# nothing is wrapped or cut (rich pads nothing to the console's width unless asked to).
UNLIMITED_WIDTH = 1_000_000


class UncutConsole(Console):
    """A rich Console that never elides: unlimited width off a terminal, folding tables on one.

    `on_terminal` asks the stream itself, not rich's `is_terminal` (which FORCE_COLOR turns on
    in CI logs): colours may follow FORCE_COLOR, widths follow where the text really goes.
    """

    @property
    def on_terminal(self) -> bool:
        isatty = getattr(self.file, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.on_terminal else ConsoleDimensions(UNLIMITED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def print(self, *objects, **kwargs) -> None:
        shown = []
        for item in objects:
            if isinstance(item, Table):
                fold_cells(item)
                if not self.on_terminal and (item.title or item.caption):
                    # rich wraps a title to its table's width: in a log, a line of its own.
                    item = copy(item)
                    title, caption, item.title, item.caption = (item.title, item.caption,
                                                                None, None)
                    shown += [part for part in (title, item, caption) if part]
                    continue
            shown.append(item)
        super().print(*shown, **kwargs)

    def status(self, status, *args, **kwargs):
        """A spinner on a terminal; anywhere else, the status as a line of its own, so that a
        log shows what minutes of loading a large bank are spent on."""
        if self.on_terminal:
            return super().status(status, *args, **kwargs)
        self.print(status)
        return nullcontext()


def fold_cells(table: Table) -> Table:
    """Make every column fold what does not fit onto more lines instead of ending it in `…`."""
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    return table


console = UncutConsole()
errors = UncutConsole(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear error and return the Exit to raise."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)
