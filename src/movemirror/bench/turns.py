"""Timing several searches in turns spread over a few seconds.

This machine's memory latency moves between two levels in spells of 0.1 s to seconds
(docs/benchmark-history.md, bench search), so 300 queries timed back to back (about 50 ms
for our index) fall within one spell and report its level. Here each search takes a turn
of queries in every round, the rounds at least `round_s` apart, so every search sees the
same spells as the others (their ratio is honest) and each p50 is over the spells.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MIN_QUERIES = 20  # a search past its time budget still gets this many queries


@dataclass(frozen=True)
class Schedule:
    turns: int = 6  # rounds; each search's queries are cut into this many turns
    round_s: float = 0.5  # a round starts at least this long after the one before
    warm: int = 2  # untimed queries before each turn (the turn before's last ones)


@dataclass(frozen=True)
class Spread:
    """One search's timings in microseconds: over all its queries, and each turn's p50."""

    p50_us: float
    p99_us: float
    queries: int
    turn_p50s_us: tuple[float, ...]

    @property
    def turn_median_us(self) -> float:
        return float(np.median(self.turn_p50s_us))

    @property
    def turn_min_us(self) -> float:
        return min(self.turn_p50s_us)

    @property
    def turn_max_us(self) -> float:
        return max(self.turn_p50s_us)


def turn_rows(count: int, turns: int) -> list[range]:
    """Queries 0..count-1 in min(turns, count) consecutive turns, sizes differing by one at
    most."""
    turns = max(1, min(turns, count))
    edges = [count * t // turns for t in range(turns + 1)]
    return [range(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def turn_order(names: Sequence[str], turn: int) -> list[str]:
    """The searches' order in a turn: as given, then reversed, turn about, so that of any
    two each goes first equally often over an even number of turns (whichever comes second
    finds some of the same queries' memory still in cache)."""
    return list(names) if turn % 2 == 0 else list(names)[::-1]


def spread_of(per_turn: Sequence[np.ndarray]) -> Spread:
    """A Spread from seconds per query, one array per turn (empty turns are left out)."""
    turns = [np.asarray(t, float) for t in per_turn if len(t)]
    if not turns:
        raise ValueError("no timed queries")
    every = np.concatenate(turns)
    return Spread(p50_us=float(np.percentile(every, 50) * 1e6),
                  p99_us=float(np.percentile(every, 99) * 1e6), queries=len(every),
                  turn_p50s_us=tuple(float(np.percentile(t, 50) * 1e6) for t in turns))


def time_in_turns(searches: Mapping[str, Callable[[int], object]], count: int,
                  schedule: Schedule, budget_s: float,
                  clock: Callable[[], float] = time.perf_counter,
                  sleep: Callable[[float], object] = time.sleep) -> dict[str, Spread]:
    """Seconds per query of each search (a function of the query's row), timed in turns.

    In each round every search runs `warm` untimed queries, then times its turn's queries
    one by one, in turn_order; the round then waits out the rest of `round_s`. A search
    stops once its timed queries have taken budget_s seconds (after MIN_QUERIES at least).
    """
    rows = turn_rows(count, schedule.turns)
    times: dict[str, list[np.ndarray]] = {name: [] for name in searches}
    spent = dict.fromkeys(searches, 0.0)
    for turn, timed in enumerate(rows):
        started = clock()
        for name in turn_order(list(searches), turn):
            done = sum(len(t) for t in times[name])
            if done >= MIN_QUERIES and spent[name] >= budget_s:
                continue
            search = searches[name]
            for back in range(schedule.warm, 0, -1):
                search((timed.start - back) % count)
            taken: list[float] = []
            for i in timed:
                start = clock()
                search(i)
                taken.append(clock() - start)
                if done + len(taken) >= MIN_QUERIES and spent[name] + sum(taken) >= budget_s:
                    break
            times[name].append(np.asarray(taken))
            spent[name] += sum(taken)
        rest = schedule.round_s - (clock() - started)
        if rest > 0 and turn < len(rows) - 1:
            sleep(rest)
    return {name: spread_of(t) for name, t in times.items()}
