"""bench serve's verdict on a flood of malformed messages: one level's good clients without
and with the malformed clients, round by round (serve.compare_flood runs them). The verdict
is the issue's quantity, the p99 of all the good clients' answers with the flood over that
without (each side's rounds pooled), with its paired cluster bootstrap interval over rounds;
beside it the median of the rounds' own p99 ratios and its interval, where the cores went,
and whether every malformed message got the answer the protocol owes it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from movemirror.bench.latency_histogram import (
    pooled_quantile_ms,
    pooled_quantile_ratio,
    pooled_quantile_ratio_interval,
)
from movemirror.bench.load_level import LevelResult
from movemirror.bench.malformed import DRAIN_SECONDS
from movemirror.stats import bootstrap_interval

# Issue 12: a flood of malformed messages may raise the other clients' p99 by at most 20%.
FLOOD_P99_BOUND = 1.2
P99 = 99.0


def bound_verdict(ratio: float, low: float, high: float, bound: float) -> str:
    """A ratio's verdict against an upper bound from its interval: met if the whole interval
    lies within the bound, missed if it lies wholly above, otherwise not settled (and which
    side the estimate itself falls on)."""
    if high <= bound:
        return "met"
    if low > bound:
        return "missed"
    side = "within" if ratio <= bound else "over"
    return (f"not settled (the estimate {ratio:.2f} is {side} the bound, its interval "
            f"{low:.2f}-{high:.2f} reaches {'above' if side == 'within' else 'below'} it)")


def _short(verdict: str) -> str:
    return verdict.split(" (")[0]


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

    def pooled_p99_ms(self, flooded: bool) -> float:
        """The p99 of all the good clients' answers over the rounds without or with the
        flood (to within 0.5%: bench.latency_histogram's bins)."""
        return pooled_quantile_ms(self._counts(flooded), P99)

    @property
    def pooled_p99_ratio(self) -> float:
        """The issue's quantity: the others' p99 with the flood over without, each side's
        rounds pooled."""
        return pooled_quantile_ratio(self._counts(False), self._counts(True), P99)

    @cached_property  # a few seconds of resampling with many rounds
    def pooled_p99_interval(self) -> tuple[float, float]:
        """The pooled ratio's 95% interval: rounds resampled whole, both sides together."""
        return pooled_quantile_ratio_interval(self._counts(False), self._counts(True), P99)

    @property
    def verdict(self) -> str:
        """The pooled ratio's verdict where the median of the rounds' ratios agrees; where
        the two disagree (a few rounds' stalls can sway the pooled p99 either way), not
        settled, naming both."""
        pooled = bound_verdict(self.pooled_p99_ratio, *self.pooled_p99_interval,
                               FLOOD_P99_BOUND)
        median = bound_verdict(self.median_p99_ratio, *self.median_p99_interval,
                               FLOOD_P99_BOUND)
        if pooled == median or not {pooled, median} & {"met", "missed"}:
            return pooled
        return (f"not settled (by the pooled p99: {_short(pooled)}; by the median of the "
                f"rounds' ratios: {_short(median)})")

    def _counts(self, flooded: bool) -> list[dict[int, int]]:
        return [level.latency_counts for level in (self.with_flood if flooded else self.without)]

    @property
    def median_p99_ratio(self) -> float:
        return float(np.median(self.p99_ratios))

    @cached_property  # the verdict, the line and the JSON each ask for it
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

    def _flood_total(self, count: str, waited: bool | None = None) -> int:
        """A count of the flood's messages (a LevelResult field), over the rounds with it
        (None), or over those whose malformed clients waited for the answers owed after the
        level (True) or did not (False)."""
        return sum(getattr(level, count) for level in self.with_flood
                   if waited is None or (level.malformed_drain_seconds > 0) == waited)

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
        """Still owed when the wait after a level ended."""
        return self._flood_total("malformed_owed", waited=True)

    @property
    def malformed_left_owed(self) -> int:
        """Owed when a level ended whose malformed clients did not wait for them."""
        return self._flood_total("malformed_owed", waited=False)

    @property
    def levels_waited(self) -> int:
        return sum(1 for level in self.with_flood if level.malformed_drain_seconds > 0)

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
    ratio, (low, high) = flood.median_p99_ratio, flood.median_p99_interval
    pooled, (pooled_low, pooled_high) = flood.pooled_p99_ratio, flood.pooled_p99_interval
    ratios = flood.p99_ratios
    cpu = {flooded: flood.median_cpu(flooded) for flooded in (False, True)}
    return (f"{flood.loop} loop, {flood.clients} clients, +{flood.malformed_clients} "
            f"malformed, {len(ratios)} rounds: p99 of all the good clients' answers without "
            f"-> with the flood {flood.pooled_p99_ms(False):.1f} -> "
            f"{flood.pooled_p99_ms(True):.1f} ms, ratio {pooled:.2f} (95% interval "
            f"{pooled_low:.2f}-{pooled_high:.2f}, rounds resampled): against the "
            f"{FLOOD_P99_BOUND:.2f} bound {flood.verdict}. Round by round: {rounds}; median "
            f"of the rounds' ratios {ratio:.2f} (95% interval {low:.2f}-{high:.2f}; rounds "
            f"{min(ratios):.2f}-{max(ratios):.2f}). "
            f"CPU, % of a core, median without -> with: "
            f"server {cpu[False]['server']:.0f} -> {cpu[True]['server']:.0f}, good clients "
            f"{cpu[False]['clients']:.0f} -> {cpu[True]['clients']:.0f}, flood (its own "
            f"process) {cpu[True]['flood']:.0f}, other jobs {cpu[False]['other jobs']:.0f} -> "
            f"{cpu[True]['other jobs']:.0f}. Malformed messages answered as the protocol "
            f"says: {flood.malformed_answered_right:,} of {flood.malformed_sent:,} "
            f"({flood.malformed_answered_after_stop:,} answered after their level, in the "
            f"wait of up to {DRAIN_SECONDS:g} s after {flood.levels_waited} of the "
            f"{len(flood.with_flood)} flooded levels; still owed then "
            f"{flood.malformed_owed:,}; left owed at the end of the others "
            f"{flood.malformed_left_owed:,}; lost "
            f"{flood.malformed_unanswered:,}; wrong {flood.malformed_wrong or 0}). Load "
            f"average {flood.load_average[0]:.2f} -> {flood.load_average[1]:.2f}.")


def check_answers(flood: FloodComparison) -> None:
    """Raises WrongAnswers when a malformed message got a wrong answer or lost its answer
    (one still owed, the server slowing its client, is neither)."""
    if flood.malformed_wrong or flood.malformed_unanswered:
        raise WrongAnswers("malformed messages not answered as the protocol says: "
                           + describe_flood(flood))
