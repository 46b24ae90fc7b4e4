"""`python -m movemirror ...`: the `movemirror` command, where its script is not on the PATH."""

from movemirror.cli.main import app

app(prog_name="movemirror")
