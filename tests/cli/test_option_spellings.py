"""An option several commands share is spelled the same ways in each: `-k` learned from
`search` works in `bench serve`, `--loop` learned from `bench serve` works in `bench page`."""

from __future__ import annotations

from collections import defaultdict

import typer

from movemirror.cli.main import app


def _options():
    """(command path, option) for every option of every command."""
    def walk(command, path):
        for param in command.params:
            if param.param_type_name == "option":
                yield path, param
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(app), ()))


# `pose -m`: index's help has no room at 80 columns for a column of short options (its words
# would be cut), and one command with a short form confuses less than a help cut short.
NOT_EVERYWHERE = {"model", "-m", "--model"}


def test_an_option_is_spelled_the_same_ways_in_every_command_that_has_it():
    # Grouped both by the value's name and by each spelling: `-k` in one command and `--k`
    # in another share no spelling, only the name.
    groups = defaultdict(list)
    for path, option in _options():
        if option.name != "help":
            for key in (option.name, *option.opts):
                groups[key].append((" ".join(path), tuple(sorted(option.opts))))
    for key, uses in groups.items():
        if key in NOT_EVERYWHERE:
            continue
        assert len({spellings for _, spellings in uses}) == 1, (key, uses)


def _parsed(command_line: str) -> dict:
    """The values a command line gives its command, parsed as a run parses them (nothing is
    run): "bench serve -k 7" -> {"k": 7, ...}."""
    words = command_line.split()
    command = typer.main.get_command(app)
    while words[0] in getattr(command, "commands", {}):
        command = command.commands[words.pop(0)]
    with command.make_context(command.name or "", words) as context:
        return context.params


def test_bench_serve_takes_k_as_search_does_and_both_keep_the_long_form():
    assert _parsed("bench serve -k 7")["k"] == 7
    assert _parsed("bench serve --k 8")["k"] == 8
    assert _parsed("search --bank b -k 3 pose.json")["k"] == 3
    assert _parsed("search --bank b --k 4 pose.json")["k"] == 4


def test_the_bench_loop_options_take_either_spelling():
    assert _parsed("bench serve --loops open")["loops"] == ("open",)
    assert _parsed("bench page --loop main")["loops"] == ("main",)
