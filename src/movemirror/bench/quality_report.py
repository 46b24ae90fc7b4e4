"""bench quality's table (rich), and the JSON writer of bench quality and bench quality-video."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def table(results: dict):
    from rich.table import Table

    t = Table(title="Match quality on LSPET: fraction of the random-to-oracle gap closed by "
                    "the top match over the queries answered (in brackets: over all queries, "
                    "no match counting as a random photo), by two judges on the true poses")
    t.add_column("archive / query / distance", overflow="fold")
    t.add_column("archive")
    for half in ("tuning", "report"):
        t.add_column(f"{half}\nanswered", justify="right")
        t.add_column(f"{half}\nlimb", justify="right")
        t.add_column(f"{half}\njoint", justify="right")
    for r in results["results"]:
        row = [r["pipeline"], str(r["archive_photos"])]
        for half in ("tuning", "report"):
            h = r["halves"][half]
            g = h["gap"]
            a = h["gap_all"]
            row += [f"{h['answered']}/{h['queries']}",
                    f"{g['limb_top1']:.3f} ({a['limb_top1']:.3f})",
                    f"{g['joint_top1']:.3f} ({a['joint_top1']:.3f})"]
        t.add_row(*row)
    return t


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=_plain) + "\n")


def _plain(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
