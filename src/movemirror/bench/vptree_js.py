"""The JavaScript reference for `movemirror bench search`: a vantage-point tree after the
original Move Mirror's vptree.js, run with node (bench-only; see js/vptree_bench.mjs).

The original vptree.js is not in this repository; the tree in js/vptree_bench.mjs follows its
algorithm (random vantage point, median split, k-best list with a shrinking radius) and Move
Mirror's distance function, so its figure stands for "the seed's search in its own language".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movemirror.bench.turns import Schedule, Spread, spread_of, turn_rows
from movemirror.vectors import XY

SCRIPT = Path(__file__).parent / "js" / "vptree_bench.mjs"
TIMEOUT_S = 900


@dataclass(frozen=True)
class JsRun:
    build_s: float
    seconds: np.ndarray  # per single query
    spread: Spread  # of the same, timed in turns
    found: np.ndarray  # (Q, k) bank rows, best first


def node_path() -> str | None:
    return shutil.which("node")


def run_vptree_js(vectors: np.ndarray, queries: np.ndarray, k: int,
                  schedule: Schedule) -> JsRun:
    """Build the JS tree on vectors (N, 52) and time each query (Q, 52) alone, in node, in
    the schedule's turns (as movemirror.bench.turns.time_in_turns, the JS tree alone).

    Raises RuntimeError when node is missing or the script fails.
    """
    node = node_path()
    if node is None:
        raise RuntimeError("node is not installed (make setup-node)")
    with tempfile.TemporaryDirectory(prefix="movemirror-vptree-js-") as scratch:
        folder = Path(scratch)
        np.ascontiguousarray(vectors[:, XY], np.float32).tofile(folder / "bank.f32")
        np.ascontiguousarray(queries[:, XY], np.float32).tofile(folder / "queries.f32")
        rows = turn_rows(len(queries), schedule.turns)
        shape = {"bank": len(vectors), "queries": len(queries), "dim": XY.stop - XY.start,
                 "turns": [[r.start, r.stop] for r in rows], "round_s": schedule.round_s,
                 "warm": schedule.warm}
        (folder / "shape.json").write_text(json.dumps(shape))
        done = subprocess.run([node, "--max-old-space-size=4096", str(SCRIPT), str(folder),
                               str(k)], capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"node {SCRIPT.name} failed: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout)
    seconds = np.asarray(result["seconds"], float)
    return JsRun(result["build_s"], seconds, spread_of([seconds[r.start:r.stop] for r in rows]),
                 np.asarray(result["found"], np.int64))
