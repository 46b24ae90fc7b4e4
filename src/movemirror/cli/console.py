"""Shared console output and error exits for the CLI: the one place that decides widths.

Nothing the CLI prints is ever cut to fit a width. On a terminal, lines wrap to the window and
table cells fold onto more lines (never `…`). Anywhere else (a pipe, a log file, a test), the
output has no width at all: every line and table is as wide as its contents, whatever
COLUMNS says, so a path, a reason or a number in a log is always whole.

A reader that stops early (`movemirror ... | head`) is not an error: the rest of the output is
dropped, quietly, and the command finishes its work (an `index` run its indexing) and exits
with its own status.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from copy import copy

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import Progress
from rich.progress_bar import ProgressBar
from rich.table import Column, Table
from rich.text import Text

# A progress bar narrower than this is left out: its task's text goes alone, wrapped.
MIN_BAR_WIDTH = 10

# The width of output that is not a terminal: wider than any line this tool prints, so that
# nothing is wrapped or cut (rich pads nothing to the console's width unless asked to).
UNLIMITED_WIDTH = 1_000_000


class UncutConsole(Console):
    """A rich Console that never elides: unlimited width off a terminal, folding tables on one.

    `on_terminal` asks the stream itself, not rich's `is_terminal` (which FORCE_COLOR turns on
    in CI logs): colours may follow FORCE_COLOR, widths follow where the text really goes.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("emoji", False)  # ":cd:" in an address or a path stays as it is
        super().__init__(*args, **kwargs)

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

    def on_broken_pipe(self) -> None:
        """The reader has gone: print nothing more (rich's own version exits with 1)."""
        stop_printing(self)

    def status(self, status, *args, **kwargs):
        """A spinner on a terminal; anywhere else, the status as a line of its own, so that a
        log shows what minutes of loading a large bank are spent on."""
        if self.on_terminal:
            return super().status(status, *args, **kwargs)
        self.print(status)
        return nullcontext()


class UncutProgress(Progress):
    """A rich Progress that cuts no number: each task is its columns' text on one line with
    the bar in the width left over, or, where fewer than MIN_BAR_WIDTH columns are left, the
    text alone, wrapped onto more lines (rich's own grid ends its cells in `…` instead)."""

    def make_tasks_table(self, tasks) -> Table:
        table = Table.grid(Column(overflow="fold"), expand=True)
        for task in tasks:
            if task.visible:
                table.add_row(_TaskLine([Text(column.format(task=task))
                                         if isinstance(column, str) else column(task)
                                         for column in self.columns]))
        return table


class _TaskLine:
    """One task of an UncutProgress, laid out for the width it is given."""

    def __init__(self, cells: list):
        self.cells = cells

    def __rich_console__(self, console, options):
        bars = [n for n, cell in enumerate(self.cells) if isinstance(cell, ProgressBar)]
        texts = [cell if isinstance(cell, Text) else Text(str(cell)) for cell in self.cells
                 if not isinstance(cell, ProgressBar)]
        at = bars[0] if bars else len(texts)
        before, after = Text(" ").join(texts[:at]), Text(" ").join(texts[at:])
        bar_width = options.max_width - before.cell_len - after.cell_len - 2
        if not bars or bar_width < MIN_BAR_WIDTH:
            yield Text(" ").join(texts)
            return
        bar = self.cells[bars[0]]
        bar.width = bar_width
        line = Table.grid(padding=(0, 1))
        line.add_row(before, bar, after)
        yield line


def stop_printing(console: Console) -> None:
    """The reader of `console` has gone: it prints nothing more, and the command goes on."""
    console.quiet = True
    reader_gone(console.file)


def quiet_typer_consoles() -> None:
    """Give the consoles typer prints its help and usage errors on our quiet end of a pipe.

    Typer makes a plain rich Console for each, whose on_broken_pipe exits with 1 (and
    redirects stdout even when the pipe was stderr), so `movemirror --help | head` failed.
    Typer's own console, theme and width stay as they are; only the broken pipe changes.
    """
    from typer import rich_utils

    make = rich_utils._get_rich_console
    if getattr(make, "ends_quietly", False):  # already done
        return

    def make_quiet(stderr: bool = False) -> Console:
        made = make(stderr=stderr)
        made.on_broken_pipe = lambda: stop_printing(made)  # type: ignore[method-assign]
        return made

    make_quiet.ends_quietly = True  # type: ignore[attr-defined]
    rich_utils._get_rich_console = make_quiet


def reader_gone(stream) -> None:
    """The reader of `stream` has gone: send what is still waiting in the stream's buffer,
    and anything else written there, to the null device, at the file descriptor, so that
    Python's own flush at exit is quiet too."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file: nothing to redirect
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


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
