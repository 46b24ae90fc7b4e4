"""The typer classes every movemirror command is made with, so that its usage line and help
name what goes in each argument and option (its metavar, from cli/params.py), never a Python
type: `movemirror bank info [OPTIONS] DIR`, `--port PORT [0 to 65535]`, and a flag shows
nothing, where typer alone writes `{bank_dir}`, `<int range> [0<=x<=65535]` and `<bool>`; and
so that a number it cannot read is refused in words (cli/values.py)."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from movemirror.cli.values import NotTaken, number_in_words, range_in_words


class PlainArgument(TyperArgument):
    """An argument shown by its metavar: `DIR`, `[POSE.json|PHOTO]`, `SOURCE...`."""

    @property
    def display_name_raw(self) -> str:
        name = self.metavar or self.name.upper()
        return name if self.nargs == 1 else f"{name}..."

    def _usage_display_name(self) -> str:
        return self.display_name_raw if self.required else f"[{self.display_name_raw}]"

    def display_type_rich(self, ctx) -> str | None:
        return None  # its name, the metavar, says what goes there


class PlainOption(TyperOption):
    """An option shown with its metavar and its range in words (a flag takes no value, so it
    shows none), and a number it does not take refused in the same words."""

    def display_type_rich(self, ctx) -> str | None:
        if self.is_flag or self.count:
            return None
        return self.metavar if self.metavar is not None else super().display_type_rich(ctx)

    def _get_number_range_help_str(self) -> str | None:
        return range_in_words(self.min, self.max)

    def process_value(self, ctx, value: Any) -> Any:
        try:
            return super().process_value(ctx, value)
        except typer.BadParameter as error:
            from pydantic import ValidationError  # what typer reads values with

            annotation = self.type_descriptor.annotation
            if annotation not in (int, float) or not isinstance(error.__cause__,
                                                                ValidationError):
                raise
            wanted = number_in_words(annotation is int, self.min, self.max)
            raise NotTaken(self.opts[0], wanted, value) from None


def plain(param: Any) -> Any:
    """The same parameter, shown plainly. Typer builds every parameter itself and offers no
    way to choose their class, so the class of the one built is swapped for ours (same data,
    only the display methods differ)."""
    if type(param) is TyperArgument:
        param.__class__ = PlainArgument
    elif type(param) is TyperOption:
        param.__class__ = PlainOption
    return param


def first_paragraph(text: str) -> str:
    """A help text's first paragraph on one line, as a list of commands shows it (typer keeps
    a docstring's line breaks there, mid-sentence)."""
    return " ".join(text.strip().split("\n\n")[0].split())


class Command(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for param in self.params:
            plain(param)
        if self.short_help is None and self.help:
            self.short_help = first_paragraph(self.help)

    def get_help_option(self, ctx):
        return plain(super().get_help_option(ctx))


class Group(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for param in self.params:  # the group's own options (`movemirror --version`)
            plain(param)

    def get_help_option(self, ctx):
        return plain(super().get_help_option(ctx))


class Typer(typer.Typer):
    """typer.Typer whose groups and commands show their parameters plainly."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)
