"""Every command's help names what goes in each argument and option (DIR, FILE, N, SECONDS,
...), never a Python type, as a new user reads it at 80 columns."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from movemirror.cli.main import app
from movemirror.cli.params import VOCABULARY

runner = CliRunner()

# What typer alone shows in place of a metavar: "<str>", "<int range>", "<list[Path]>", "<bool>".
PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|list|Path)\b[^>]*>|list\[")


def _commands(command=None, path=()):
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _help(path, columns=80) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def _value_params(command):
    return [param for param in command.params if not getattr(param, "is_flag", False)]


def test_every_argument_and_option_has_a_metavar_from_the_vocabulary():
    for path, command in _commands():
        for param in _value_params(command):
            assert param.metavar in VOCABULARY, (path, param.name, param.metavar)


def test_help_names_values_by_their_metavars_and_never_by_python_types():
    for path, command in _commands():
        shown = _help(path)
        usage = next(line for line in shown.splitlines() if "Usage:" in line)
        assert "{" not in usage and not re.search(r"\b[a-z]+_[a-z]+\b", usage), (path, usage)
        assert not PYTHON_TYPE.search(shown), (path, PYTHON_TYPE.search(shown))
        assert "…" not in shown, path  # a word too long for its column, cut
        for param in _value_params(command):
            assert param.metavar in shown, (path, param.name)


def test_usage_lines_show_arguments_as_the_user_types_them():
    def usage(*path):
        return " ".join(_help(path).split("Usage:")[1].split("\n")[0].split())

    assert usage("bank", "info") == "movemirror bank info [OPTIONS] DIR"
    assert usage("index") == "movemirror index [OPTIONS] SOURCE..."
    assert usage("pose") == "movemirror pose [OPTIONS] IMAGE..."
    assert usage("search") == "movemirror search [OPTIONS] [POSE.json|PHOTO]"


def test_options_show_their_range_in_words_and_flags_no_value():
    shown = " ".join(_help(("serve",), columns=200).split())
    assert "--port PORT [0 to 65535] Port to listen on." in shown
    assert "--follow Pick up each new version" in shown  # a flag takes no value
    assert "--help Show this message and exit." in shown
    assert "at least 0" not in " ".join(_help(("index",), columns=200).split())


def test_each_list_of_commands_gives_each_its_first_paragraph_on_one_line():
    # Typer kept a docstring's line breaks there: "... the k windows of its" / "tracks ...".
    for path, group in _commands():
        shown = _help(path, columns=400)
        for name, command in getattr(group, "commands", {}).items():
            first = " ".join(command.help.split("\n\n")[0].split())
            assert re.search(rf"^\W*{name} +{re.escape(first)}\W*$", shown, re.MULTILINE), (
                path, name)

