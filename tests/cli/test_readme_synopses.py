"""The README's command lines name what goes in each option with the word `--help` shows
(cli/params.py's metavars): `--seconds SECONDS`, not `--seconds S`. A value in lower case
(`-k 10`, `--out report.html`) is an example and may be anything."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import typer

from movemirror.cli.main import app

README = Path(__file__).parents[2] / "README.md"

# `--option PLACEHOLDER`: a placeholder starts with a capital and holds no digit or colon
# (`HEAD_IP:6379` is a template with a real port in it, `VIDEO.mp4` a file's name, and
# `OUT.png` a placeholder).
OPTION_AND_PLACEHOLDER = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])[ =]"
                                    r"([A-Z][A-Za-z_.|]*(?:,\.\.\.)?)(?![\w:.])")
COMMAND = re.compile(r"movemirror((?: [a-z][a-z-]*)+)")


def _metavars():
    """{command path: {option spelling: metavar}}, and {spelling: the metavars any command
    gives it}."""
    by_command, anywhere = {}, defaultdict(set)

    def walk(command, path):
        options = {}
        for param in command.params:
            if param.param_type_name == "option" and param.metavar:
                for spelling in param.opts:
                    options[spelling] = param.metavar
                    anywhere[spelling].add(param.metavar)
        by_command[path] = options
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return by_command, anywhere


def _command_lines(text: str):
    """Each code span and each line of a code block, with its newlines made spaces."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    for block in blocks:
        yield from block.splitlines()
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    for span in re.findall(r"`([^`]+)`", prose):
        yield " ".join(span.split())


def _placeholders_unlike_the_help(text: str) -> list[tuple[str, str, str]]:
    by_command, anywhere = _metavars()
    wrong = []
    for line in _command_lines(text):
        named = COMMAND.search(line)
        words = tuple(named.group(1).split()) if named else ()
        while words and words not in by_command:  # "bench serve [--bank DIR]": words end
            words = words[:-1]
        for option, placeholder in OPTION_AND_PLACEHOLDER.findall(line):
            shown = ({by_command[words][option]} if words and option in by_command[words]
                     else anywhere.get(option, set()))
            # One of a metavar's alternatives is its word too: `--clip CLIP.json`.
            if shown and not any(placeholder in (metavar, *metavar.split("|"))
                                 for metavar in shown):
                wrong.append((line, option, placeholder))
    return wrong


def test_the_readme_names_option_values_as_the_help_does():
    assert _placeholders_unlike_the_help(README.read_text()) == []


def test_a_placeholder_unlike_the_help_is_found():
    said = ("`movemirror bench serve [--seconds S] [--rounds N]`\n"
            "```\nmovemirror index /archive --bank banks/a --address HEAD_IP:6379\n```\n"
            "prose: `--address ADDR`, `--out DIR`, `--out FILE`, `-k 10`, `--clip CLIP.json`, "
            "`--clip VIDEO.mp4`, `--draw OUT.png`\n")
    assert _placeholders_unlike_the_help(said) == [
        ("movemirror bench serve [--seconds S] [--rounds N]", "--seconds", "S"),
        ("--address ADDR", "--address", "ADDR"), ("--draw OUT.png", "--draw", "OUT.png")]
