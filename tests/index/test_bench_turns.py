"""The search benchmark's timing in turns: the turns, their order, the figures and the rounds."""

import numpy as np
import pytest

from movemirror.bench.turns import (
    MIN_QUERIES,
    Schedule,
    spread_of,
    time_in_turns,
    turn_order,
    turn_rows,
)


@pytest.mark.parametrize(("count", "turns"), [(300, 6), (100, 6), (7, 3), (5, 8), (1, 6)])
def test_turns_cover_every_query_once_in_order_and_near_equal(count, turns):
    rows = turn_rows(count, turns)
    assert len(rows) == min(count, turns)
    assert [i for r in rows for i in r] == list(range(count))
    sizes = [len(r) for r in rows]
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1


def test_each_of_two_searches_goes_first_as_often_as_the_other():
    names = ["end to end", "alone", "brute", "vptree"]
    orders = [turn_order(names, turn) for turn in range(6)]
    assert orders[0] == names and orders[1] == names[::-1] and orders[2] == names
    for a in names:
        for b in names:
            if a != b:
                first = sum(order.index(a) < order.index(b) for order in orders)
                assert first == 3


def test_spread_is_over_all_queries_and_each_turn():
    turns = [np.array([1e-6, 2e-6, 3e-6]), np.array([]), np.array([10e-6, 20e-6])]
    spread = spread_of(turns)
    assert spread.queries == 5
    assert spread.p50_us == pytest.approx(3.0)
    assert spread.turn_p50s_us == pytest.approx((2.0, 15.0))  # the empty turn left out
    assert (spread.turn_min_us, spread.turn_max_us) == pytest.approx((2.0, 15.0))
    assert spread.turn_median_us == pytest.approx(8.5)
    assert spread.p99_us == pytest.approx(np.percentile([1, 2, 3, 10, 20], 99))
    with pytest.raises(ValueError, match="no timed queries"):
        spread_of([np.array([])])


class FakeMachine:
    """A clock that searches and sleeps move on: each search takes its cost per query."""

    def __init__(self, costs):
        self.now = 0.0
        self.costs = costs
        self.calls: list[tuple[str, int, float]] = []
        self.sleeps: list[float] = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def search(self, name):
        def run(i):
            self.calls.append((name, i, self.now))
            self.now += self.costs[name](i)
        return run


def test_searches_take_turns_warmed_and_rounds_are_spread():
    machine = FakeMachine({"a": lambda i: 1e-3, "b": lambda i: 2e-3 * (1 + i % 2)})
    schedule = Schedule(turns=3, round_s=0.5, warm=2)
    spreads = time_in_turns({"a": machine.search("a"), "b": machine.search("b")}, 9, schedule,
                            budget_s=10, clock=machine.clock, sleep=machine.sleep)
    names_rows = [(name, i) for name, i, _ in machine.calls]
    # Round 0: a warms on the last two rows (wrapping), times 0-2, then b; round 1 reversed.
    assert names_rows[:10] == [("a", 7), ("a", 8), ("a", 0), ("a", 1), ("a", 2),
                               ("b", 7), ("b", 8), ("b", 0), ("b", 1), ("b", 2)]
    assert names_rows[10:15] == [("b", 1), ("b", 2), ("b", 3), ("b", 4), ("b", 5)]
    assert names_rows[15:20] == [("a", 1), ("a", 2), ("a", 3), ("a", 4), ("a", 5)]
    assert len(names_rows) == 30
    # Each round starts round_s after the one before; no wait after the last.
    assert [machine.calls[j][2] for j in (0, 10, 20)] == pytest.approx([0.0, 0.5, 1.0])
    assert len(machine.sleeps) == 2
    # Only the timed queries count, each at its own cost.
    assert spreads["a"].queries == spreads["b"].queries == 9
    assert spreads["a"].p50_us == pytest.approx(1000.0)
    assert spreads["a"].turn_p50s_us == pytest.approx((1000.0,) * 3)
    assert spreads["b"].turn_p50s_us == pytest.approx((2000.0, 4000.0, 2000.0))  # rows 0-2, 3-5


def test_a_search_past_its_budget_stops_after_min_queries_and_the_others_go_on():
    machine = FakeMachine({"slow": lambda i: 1.0, "fast": lambda i: 1e-4})
    schedule = Schedule(turns=4, round_s=0.0, warm=0)
    spreads = time_in_turns({"slow": machine.search("slow"), "fast": machine.search("fast")},
                            200, schedule, budget_s=5, clock=machine.clock, sleep=machine.sleep)
    assert spreads["slow"].queries == MIN_QUERIES
    assert len(spreads["slow"].turn_p50s_us) == 1  # its budget ran out in the first turn
    assert spreads["fast"].queries == 200 and len(spreads["fast"].turn_p50s_us) == 4
    assert machine.sleeps == []  # rounds longer than round_s wait for nothing
