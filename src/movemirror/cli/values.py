"""Values typed on the command line, in words: the range an option's help shows, and what an
option says when what was typed is not what it takes (`--port takes a whole number, 0 to
65535, not 'x'`, `--metric takes cosine, weighted, torso or likeness, not 'nope'`), where
typer alone says "Input should be a valid integer, unable to parse string as an integer"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import typer

from movemirror.errors import SpecError
from movemirror.wording import either


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
    `-k takes a whole number, at least 1, not 'abc'` (a usage error: exit 2). Without
    `option` (raised by an option's parser, which is not told its option), the option is
    the one the command line was reading."""

    def __init__(self, option: str | None, wanted: str, typed: Any):
        self.said = f"{wanted}, not {typed!r}"
        super().__init__(self.said if option is None else f"{option} takes {self.said}")
        self.option = option

    def format_message(self) -> str:
        if self.option is None and self.param is not None:
            return f"{self.param.opts[0]} takes {self.said}"
        return self.message


class Names(tuple[str, ...]):
    """The names a comma-separated option was given (`--parts speed,pck`), as its parser
    (choices) read them: what the command uses."""


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


def one_of(text: str, option: str, names: Iterable[str]) -> str:
    """text, if it is one of names; else NotTaken: `--metric takes cosine or weighted, not
    'x'`."""
    names = tuple(names)
    if text not in names:
        raise NotTaken(option, either(names), text)
    return text


def listed_names(text: str) -> tuple[str, ...]:
    """The names of a comma-separated option (`--parts speed,pck`), spaces around each and
    empty ones left out."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def some_of(text: str, option: str | None, names: Iterable[str], example: str = "",
            allowed: Callable[[str], bool] | None = None) -> Names:
    """The names of a comma-separated option, each one of names (or, given, one `allowed`
    takes too); NotTaken, naming the option and what it takes, if any is not or none is given:
    `--parts takes one or more of speed, pck, coco, tfjs, comma-separated, not 'x'`."""
    names = tuple(names)
    chosen = listed_names(text)
    if not chosen or any(name not in names and not (allowed and allowed(name))
                         for name in chosen):
        raise NotTaken(option, f"one or more of {', '.join(names)}, comma-separated"
                       + (f" (e.g. {example})" if example else ""), text)
    return Names(chosen)


def choice(names: Iterable[str]) -> Callable:
    """A typer callback that refuses, as one_of does, a value of its option that is not one of
    names (None, an option left out without a default, passes): `typer.Option(...,
    callback=choice(MODES))` checks the value as the command line is read, before anything
    runs."""
    names = tuple(names)

    def check(param: typer.CallbackParam, value: str | None) -> str | None:
        return value if value is None else one_of(value, param.opts[0], names)

    return check


def choices(names: Iterable[str], example: str = "",
            allowed: Callable[[str], bool] | None = None, empty: bool = False
            ) -> Callable[[str], Names]:
    """choice's twin for a comma-separated option, as its typer parser: `models: Names =
    typer.Option(..., parser=choices(MODELS))` reads the text, as some_of does, into the
    names the command gets; empty=True reads "" as no names, for an option whose default,
    "", means all of them."""
    names = tuple(names)

    def parse(text: str) -> Names:
        if empty and text == "":
            return Names()
        return some_of(text, None, names, example, allowed)

    return parse


def read_with(parse: Callable[[str], Any]) -> Callable:
    """A typer callback that refuses, as NotTaken, a value of its option (each value of a
    repeatable one; None passes) that parse cannot read, in the words of parse's SpecError:
    `--pipeline takes a METRIC of cosine, ..., not 'nope'`."""

    def check(param: typer.CallbackParam, value: Any) -> Any:
        for text in [] if value is None else [value] if isinstance(value, str) else value:
            try:
                parse(text)
            except SpecError as error:
                raise NotTaken(param.opts[0], error.wanted, error.text) from None
        return value

    return check
