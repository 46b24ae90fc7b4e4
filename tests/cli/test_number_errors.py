"""A number an option cannot take is refused in words that say which option wants what
(`--port takes a whole number, 0 to 65535, not 'x'`), never with typer's and pydantic's
"Input should be a valid integer, unable to parse string as an integer"."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from movemirror.cli.main import app

runner = CliRunner()


def _said(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output  # a usage error, before anything runs
    assert "Input should" not in result.output and "Traceback" not in result.output
    return " ".join(result.output.split())


def _number_options():
    """(command path, option) for every option that takes a number."""
    def walk(command, path):
        for param in command.params:
            if param.param_type_name == "option" and (
                    param.type_descriptor.annotation in (int, float)):
                yield path, param
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(app), ()))


@pytest.mark.parametrize(("command_line", "said"), [
    ("search --bank b -k abc pose.json", "-k takes a whole number, at least 1, not 'abc'"),
    ("search --bank b -k 2.5 pose.json", "-k takes a whole number, at least 1, not '2.5'"),
    ("serve --bank b --port x", "--port takes a whole number, 0 to 65535, not 'x'"),
    ("serve --bank b --port 70000", "--port takes a whole number, 0 to 65535, not '70000'"),
    ("index --bank b --workers -1 photos", "--workers takes a whole number, at least 0, "
                                           "not '-1'"),
    ("bench serve --rate nan", "--rate takes a number, 0.1 to 120, not 'nan'"),
    ("pose --min-score 2 photo.jpg", "--min-score takes a number, 0 to 1, not '2'"),
])
def test_a_bad_number_says_which_option_wants_what(command_line, said):
    assert said in _said(*command_line.split())


def test_every_number_option_refuses_a_word_in_words():
    options = _number_options()
    assert len(options) > 40  # every command's, bench's included
    for path, option in options:
        kind = "a whole number" if option.type_descriptor.annotation is int else "a number"
        assert f"{option.opts[0]} takes {kind}" in _said(*path, option.opts[0], "abc"), path


@pytest.mark.parametrize(("command_line", "said"), [
    # --clients a,b once ended in a traceback (ValueError from int()).
    ("bench serve --clients a,b", "--clients takes whole numbers, 1 to 1000, comma-separated "
                                  "(e.g. 1,50,200), not 'a,b'"),
    ("bench serve --clients 1,2000", "--clients takes whole numbers, 1 to 1000"),
    ("bench search --sizes 8k", "--sizes takes whole numbers, at least 1, comma-separated "
                                "(e.g. 80000,160000), not '8k'"),
    ("bench coverage --sizes 8k", "--sizes takes whole numbers, at least 0, comma-separated "
                                  "(e.g. 0,1000000), not '8k'"),
    ("bench serve --loop closed,shut", "--loop takes one or more of open, closed, "
                                       "comma-separated, not 'closed,shut'"),
])
def test_a_bad_list_of_numbers_says_which_option_wants_what(command_line, said):
    assert said in _said(*command_line.split())
