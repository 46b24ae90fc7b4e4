"""bench serve's verdict on a flood of malformed messages: one level's good clients without
and with the malformed clients, round by round (serve.compare_flood runs them), the median
of the rounds' p99 ratios against the bound, its bootstrap interval, where the cores went,
and whether every malformed message got the answer the protocol owes it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.bench.load_level import LevelResult
from movemirror.bench.malformed import DRAIN_SECONDS
from movemirror.stats import bootstrap_interval

# Issue 12: a flood of malformed messages may raise the other clients' p99 by at most 20%.
FLOOD_P99_BOUND = 1.2


@dataclass
class FloodComparison:
    """One level's normal clients without and with the malformed clients, run turn about
    (round by round, the order swapped each round, so that drift in the machine's load
    falls on both sides alike)."""

    loop: str
    clients: int
    malformed_clients: int
    without: list[LevelResult]
    with_flood: list[LevelResult]
    load_average: tuple[float, float]  # the machine's (1 minute), at the start and the end

    @property
    def p99_ratios(self) -> list[float]:
        return [flood.p99_ms / quiet.p99_ms
                for quiet, flood in zip(self.without, self.with_flood, strict=True)]

    @property
    def median_p99_ratio(self) -> float:
        return float(np.median(self.p99_ratios))

    @property
    def median_p99_interval(self) -> tuple[float, float]:
        """The median ratio's 95% bootstrap interval (rounds resampled with replacement)."""
        return bootstrap_interval(lambda ratios: np.median(ratios, axis=1),
                                  self.p99_ratios)

    def median_cpu(self, flooded: bool) -> dict[str, float]:
        """Cores (percent of one) kept busy by the server, the good clients' process, the
        flood's and the machine's other jobs, median over the rounds without or with the
        flood."""
        levels = self.with_flood if flooded else self.without
        def median(values: list[float | None]) -> float:
            known = [value for value in values if value is not None]
            return float(np.median(known)) if known else float("nan")

        return {"server": median([level.server_cpu_percent for level in levels]),
                "clients": median([level.load_cpu_percent for level in levels]),
                "flood": median([level.flood_cpu_percent for level in levels]),
                "other jobs": median([level.other_cpu_percent for level in levels])}

    def _flood_total(self, count: str) -> int:
        """A count of the flood's messages (a LevelResult field), over the rounds with it."""
        return sum(getattr(level, count) for level in self.with_flood)

    @property
    def malformed_sent(self) -> int:
        return self._flood_total("malformed_sent")

    @property
    def malformed_answered_right(self) -> int:
        return self._flood_total("malformed_answered_right")

    @property
    def malformed_answered_after_stop(self) -> int:
        return self._flood_total("malformed_answered_after_stop")

    @property
    def malformed_owed(self) -> int:
        return self._flood_total("malformed_owed")

    @property
    def malformed_unanswered(self) -> int:
        return self._flood_total("malformed_unanswered")

    @property
    def malformed_wrong(self) -> dict[str, int]:
        wrong: dict[str, int] = {}
        for level in self.with_flood:
            for kind, count in level.malformed_wrong.items():
                wrong[kind] = wrong.get(kind, 0) + count
        return wrong


class WrongAnswers(RuntimeError):
    """The server answered a malformed message otherwise than the protocol says, or lost its
    answer."""


def describe_flood(flood: FloodComparison) -> str:
    """The comparison's verdict in one line, each round's figures in it."""
    rounds = "; ".join(f"{quiet.p99_ms:.1f} -> {loud.p99_ms:.1f} ms"
                       for quiet, loud in zip(flood.without, flood.with_flood, strict=True))
    ratio = flood.median_p99_ratio
    low, high = flood.median_p99_interval
    ratios = flood.p99_ratios
    cpu = {flooded: flood.median_cpu(flooded) for flooded in (False, True)}
    return (f"{flood.loop} loop, {flood.clients} clients, +{flood.malformed_clients} "
            f"malformed: p99 without -> with the flood, round by round: {rounds}; median "
            f"ratio {ratio:.2f} ({'within' if ratio <= FLOOD_P99_BOUND else 'over'} the "
            f"{FLOOD_P99_BOUND:.2f} bound; 95% bootstrap interval {low:.2f}-{high:.2f}; rounds "
            f"{min(ratios):.2f}-{max(ratios):.2f}). CPU, % of a core, median without -> with: "
            f"server {cpu[False]['server']:.0f} -> {cpu[True]['server']:.0f}, good clients "
            f"{cpu[False]['clients']:.0f} -> {cpu[True]['clients']:.0f}, flood (its own "
            f"process) {cpu[True]['flood']:.0f}, other jobs {cpu[False]['other jobs']:.0f} -> "
            f"{cpu[True]['other jobs']:.0f}. Malformed messages answered as the protocol "
            f"says: {flood.malformed_answered_right:,} of {flood.malformed_sent:,} "
            f"({flood.malformed_answered_after_stop:,} answered after their level, within "
            f"{DRAIN_SECONDS:g} s; still owed then {flood.malformed_owed:,}; lost "
            f"{flood.malformed_unanswered:,}; wrong {flood.malformed_wrong or 0}). Load "
            f"average {flood.load_average[0]:.2f} -> {flood.load_average[1]:.2f}.")


def check_answers(flood: FloodComparison) -> None:
    """Raises WrongAnswers when a malformed message got a wrong answer or lost its answer
    (one still owed, the server slowing its client, is neither)."""
    if flood.malformed_wrong or flood.malformed_unanswered:
        raise WrongAnswers("malformed messages not answered as the protocol says: "
                           + describe_flood(flood))
