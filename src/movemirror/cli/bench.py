"""`movemirror bench ...`: benchmarks on real data, each with its baseline in the same run."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Benchmarks on real data.", no_args_is_help=True)


@app.command("ingest")
def ingest(
    limit: int = typer.Option(6000, help="How many LSPET photos."),
    model: str = typer.Option("thunder", help="Pose model."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    baseline: int = typer.Option(300, help="Photos for the one-worker baseline (0: none)."),
    every_ms: int = typer.Option(33, "--every-ms", help="Video sampling for the video run."),
    out: Path | None = typer.Option(None, help="Also write the results as JSON here."),
):
    """Index LSPET photos and the sample videos; report frames per second end to end."""
    from movemirror.bench.ingest import main

    main(limit, model, workers, baseline, every_ms, out)
