"""Numbers typed on the command line, in words: the range an option's help shows, and what an
option says when what was typed is not what it takes (`--port takes a whole number, 0 to
65535, not 'x'`), where typer alone says "Input should be a valid integer, unable to parse
string as an integer"."""

from __future__ import annotations

from typing import Any

import typer


def range_in_words(low: float | None, high: float | None) -> str | None:
    """"at least 1", "at most 6", "0 to 65535", or None: without bounds, or only a lower
    bound of 0, which a count, a size or a time says already."""
    if high is None and not low:
        return None
    if high is None:
        return f"at least {low:g}"
    if low is None:
        return f"at most {high:g}"
    return f"{low:g} to {high:g}"


def number_in_words(whole: bool, low: float | None, high: float | None) -> str:
    """"a whole number, at least 1", "a number, 0.1 to 120": what an option takes, bounds
    included (an error names a lower bound of 0 too: -1 is a whole number)."""
    kind = "a whole number" if whole else "a number"
    bounds = range_in_words(low, high) or (f"at least {low:g}" if low is not None else None)
    return f"{kind}, {bounds}" if bounds else kind


class NotTaken(typer.BadParameter):
    """A value an option does not take, said as one sentence that starts with the option:
    `-k takes a whole number, at least 1, not 'abc'` (a usage error: exit 2)."""

    def __init__(self, option: str, wanted: str, typed: Any):
        super().__init__(f"{option} takes {wanted}, not {typed!r}")

    def format_message(self) -> str:
        return self.message


def whole_numbers(text: str, option: str, low: int, high: int | None = None,
                  example: str = "") -> tuple[int, ...]:
    """The whole numbers of a comma-separated option (`--clients 1,50,200`), each from low
    to high; NotTaken, naming the option, if any is not one or none is given."""
    try:
        numbers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        numbers = ()
    if not numbers or min(numbers) < low or (high is not None and max(numbers) > high):
        bounds = range_in_words(low, high) or f"at least {low:g}"
        raise NotTaken(option, f"whole numbers, {bounds}, comma-separated"
                       + (f" (e.g. {example})" if example else ""), text)
    return numbers
