"""`movemirror bank info DIR`: what a bank holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from movemirror.cli.console import console, fail
from movemirror.errors import BankError
from movemirror.keypoints import KEYPOINT_NAMES

app = typer.Typer(help="Inspect pose banks.", no_args_is_help=True)


@app.command("info")
def info(bank_dir: Path = typer.Argument(..., help="The bank directory.")):
    """Summarise a bank: entries, sources and how well each keypoint is covered."""
    from movemirror.bank import PoseBank

    try:
        bank = PoseBank.load(bank_dir)
    except BankError as error:
        raise fail(str(error)) from None
    console.print(f"[bold]{bank_dir}[/]: {len(bank):,} poses")
    columns = bank.records.column_names
    if "source" in columns:
        sources = bank.records.column("source").to_pylist()
        console.print(f"sources: {len(set(sources)):,} files")
    if "sources" in bank.tables:  # the ledger `movemirror index` keeps
        from movemirror.ingest.report import print_ledger

        print_ledger(bank.tables["sources"])
    if len(bank):
        scores = bank.keypoints[..., 2]
        table = Table("keypoint", "confident (score >= 0.2)", "mean score")
        for k, name in enumerate(KEYPOINT_NAMES):
            table.add_row(name, f"{np.mean(scores[:, k] >= 0.2):.0%}", f"{scores[:, k].mean():.2f}")
        console.print(table)
