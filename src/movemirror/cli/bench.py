"""`movemirror bench ...`: benchmarks on real data, each with its baseline in the same run."""

from __future__ import annotations

import typer

app = typer.Typer(help="Benchmarks on real data.", no_args_is_help=True)
