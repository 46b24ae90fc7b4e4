"""`movemirror bench serve`: matches per second and latency over the WebSocket stream.

The server runs as `movemirror serve` in its own process (bench.server_process); this process
opens N WebSocket clients on loopback, one level after another (bench.load_level: open- or
closed-loop clients, every reply timed against its query). The clients are
movemirror.bench.load_client's: they share the server's cores, so they are made cheap
(frames masked in advance, replies told apart by their first bytes).
Optional malformed clients (movemirror.bench.malformed) send broken messages at the same
rate, each checked for its error frame and close code (the answers the server still owes
them when the last flooded level ends are waited for a few seconds, outside the level's
figures; a wrong or lost answer stops the bench: WrongAnswers). They run in a process of
their own, so that their work is never done on the good clients' event loop. Each level
then runs turn about without and with them (compare_flood), after one level not counted, to
show whether bad input slows the others: the p99 of all the good clients' answers with the
flood over without, each side's rounds pooled, its paired bootstrap interval over rounds and
the verdict, the median of the rounds' own ratios, and where the cores went (server, good
clients, flood; bench.flood_comparison).
The server's resident memory (all its processes) is sampled every second, so a long level
(`--seconds 600`) is a soak test. Each level runs for a fixed time and then everything stops
by itself. The table and the JSON: bench.serve_report.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from movemirror.bench.flood_comparison import (
    FloodComparison,
    check_answers,
    describe_flood,
)
from movemirror.bench.load_level import LOOPS, LevelResult, run_level
from movemirror.bench.malformed import DRAIN_SECONDS, FloodProcess
from movemirror.bench.memory import ProcessMemory, describe_memory, tree_memory
from movemirror.bench.serve_data import lspet_bank, real_queries
from movemirror.bench.server_process import HOST, ServerProcess


@dataclass(frozen=True)
class Plan:
    bank_dir: Path | None = None  # None: a bank of LSPET's 6,000 annotated poses
    clients: tuple[int, ...] = (1, 50, 200)  # concurrent clients, one level each
    rate: float = 30.0  # poses a second per client
    seconds: float = 10.0  # measured seconds per level
    warmup: float = 2.0  # unmeasured seconds first
    k: int = 5  # matches per query
    mirror: bool = True  # also match each pose mirrored, as the page does by default
    index: str | None = None  # the server's search index (None: the bank's default)
    workers: int = 1  # server processes
    loops: tuple[str, ...] = LOOPS  # which kinds of client, each at every level (see LOOPS)
    # Extra clients sending malformed messages at `rate`: each level is then run `rounds`
    # times with them and as many without, turn about, after one level not counted (see
    # compare_flood).
    malformed_clients: int = 0
    rounds: int = 3


def compare_flood(server: ServerProcess, messages: list[str], clients: int, plan: Plan,
                  loop: str) -> FloodComparison:
    load_start = os.getloadavg()[0]
    without: list[LevelResult] = []
    with_flood: list[LevelResult] = []
    # A level first, not counted: a fresh server's first one runs cold (measured: 4,903 of
    # 6,000 matches/s and p99 71 ms, against 6,000 and 35 ms in the levels after it), and
    # it would always fall on the side without the flood.
    run_level(server, messages, clients, plan.rate, min(plan.seconds, 5.0), plan.warmup, loop)
    # One process for the flood's every level, idle between them (starting one takes ~2 s).
    # Only its last level waits for the answers still owed (up to DRAIN_SECONDS); in the
    # others the malformed clients leave when the level ends. The wait comes after a level's
    # figures, so it changes none of them; in every flooded level it took ~6 s (measured).
    with FloodProcess() as flooding:
        for round_ in range(plan.rounds):
            order = ((0, plan.malformed_clients) if round_ % 2 == 0
                     else (plan.malformed_clients, 0))
            for malformed in order:
                last = round_ == plan.rounds - 1
                level = run_level(server, messages, clients, plan.rate, plan.seconds,
                                  plan.warmup, loop, malformed, flooding,
                                  drain=DRAIN_SECONDS if last else 0.0)
                (with_flood if malformed else without).append(level)
    return FloodComparison(loop, clients, plan.malformed_clients, without, with_flood,
                           (load_start, os.getloadavg()[0]))


@dataclass
class Results:
    bank_size: int
    queries: str  # where the query poses come from
    levels: list[LevelResult]
    # Each server process's memory once started (the bank loaded, the indexes built) and
    # after the last level.
    memory_started: list[ProcessMemory] = field(default_factory=list)
    memory_finished: list[ProcessMemory] = field(default_factory=list)
    floods: list[FloodComparison] = field(default_factory=list)  # with --malformed


def run(plan: Plan, report: Callable[[str], None]) -> Results:
    """Serve the bank in its own process and load it level by level."""
    from movemirror.bank import PoseBank

    with tempfile.TemporaryDirectory(prefix="movemirror-bench-serve-") as scratch:
        bank_dir = plan.bank_dir
        if bank_dir is None:
            report("No --bank: building one from LSPET's 6,000 annotated poses.")
            bank_dir = lspet_bank(Path(scratch) / "bank")
        bank = PoseBank.load(bank_dir)
        poses, described = real_queries(bank.keypoints)
        messages = [json.dumps({"keypoints": np.round(p, 1).tolist(), "width": 640,
                                "height": 480, "k": plan.k, "mirror": plan.mirror})
                    for p in poses]
        report(f"Bank: {len(bank):,} poses. Queries: {described}, k={plan.k}, "
               f"mirror {'on' if plan.mirror else 'off'}, "
               f"{plan.rate:g} a second per client, {plan.seconds:g} s per level after "
               f"{plan.warmup:g} s of warm-up, on {HOST}"
               + (f"; each level {plan.rounds} times without and {plan.rounds} times with "
                  f"{plan.malformed_clients} more clients sending malformed messages at the "
                  "same rate, turn about" if plan.malformed_clients else "") + ".")
        levels: list[LevelResult] = []
        floods: list[FloodComparison] = []
        with ServerProcess(bank_dir, plan.index, plan.workers) as server:
            assert server.process is not None
            started = tree_memory(server.process.pid)
            report(describe_memory(started))
            for loop in plan.loops:
                for n in plan.clients:
                    if plan.malformed_clients:
                        flood = compare_flood(server, messages, n, plan, loop)
                        floods.append(flood)
                        levels += [level for pair in zip(flood.without, flood.with_flood,
                                                         strict=True) for level in pair]
                        report("  " + describe_flood(flood))
                        check_answers(flood)
                        continue
                    level = run_level(server, messages, n, plan.rate, plan.seconds,
                                      plan.warmup, loop)
                    levels.append(level)
                    report(f"  {loop} loop, {n} clients: {level.matches_per_second:,.0f} "
                           f"matches/s, p50 {level.p50_ms:.1f} ms, p99 {level.p99_ms:.1f} ms")
            finished = tree_memory(server.process.pid)
            report(describe_memory(finished))
    return Results(len(bank), described, levels, started, finished, floods)
