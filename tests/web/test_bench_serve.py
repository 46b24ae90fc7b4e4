"""`movemirror bench serve`'s clients and memory probe, against a real server process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from movemirror.bench.flood_comparison import (
    FLOOD_P99_BOUND,
    FloodComparison,
    WrongAnswers,
    bound_verdict,
    check_answers,
    describe_flood,
)
from movemirror.bench.frame_clock import FrameClock
from movemirror.bench.latency_histogram import latency_counts
from movemirror.bench.load_client import LoadClient, text_frame
from movemirror.bench.load_level import LevelResult, run_level
from movemirror.bench.malformed import (
    DRAIN_SECONDS,
    FloodProcess,
    FloodStats,
    Malformed,
    malformed_client,
    malformed_messages,
    run_flood,
)
from movemirror.bench.memory import MemorySampler, process_memory, process_tree, tree_memory
from movemirror.bench.server_process import HOST, ServerProcess

from .conftest import LiveServer
from .test_matcher import run_in_fresh_loop


def test_memory_of_a_process_tree_counts_its_children():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in process_tree(os.getpid())
        mine = process_memory(os.getpid())
        assert mine is not None and 0 < mine.private_mb <= mine.pss_mb <= mine.rss_mb
        assert {m.pid for m in tree_memory(os.getpid())} >= {os.getpid(), child.pid}
    finally:
        child.kill()
        child.wait()


def test_the_sampler_sees_a_process_grow():
    # A fresh process: one that has freed memory before may reuse it without growing.
    grower = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.4); "
                               "held = b'x' * (96 * 2**20); time.sleep(0.6)"])
    try:
        with MemorySampler(grower.pid, every=0.05) as sampler:
            grower.wait(timeout=30)
        samples = sampler.samples_mb()
        assert len(samples) >= 3 and samples.max() - samples[0] > 80, samples
    finally:
        grower.kill()
        grower.wait()


@pytest.fixture(scope="module")
def server(bank_dir):
    with ServerProcess(bank_dir) as server:
        yield server


def messages(bank) -> list[str]:
    return [json.dumps({"keypoints": p.tolist(), "width": 640, "height": 480, "k": 3})
            for p in bank.keypoints[:20]]


def test_closed_loop_clients_keep_one_query_in_flight_and_are_never_superseded(server, bank):
    level = run_level(server, messages(bank), clients=4, rate=20, seconds=1.5,
                      warmup=0.2, loop="closed")
    assert level.loop == "closed" and level.errors == 0 and level.superseded == 0
    assert level.answered == level.sent > 0  # each query answered before the next is sent
    assert sum(level.latency_counts.values()) == level.answered  # all kept for pooling
    assert level.min_client_matches_per_second >= 10  # 20 frames a second, a light load
    assert level.server_rss_start_mb > 0 and level.server_rss_max_mb >= level.server_rss_end_mb


def test_each_malformed_kind_gets_the_answer_the_protocol_owes_it(server, bank):
    """Read whole, each reply is the error frame with the kind's code, and the connection
    ends with the kind's close code where it should (else it stays open for a good pose)."""
    url = f"ws://{HOST}:{server.port}/api/stream"
    good = messages(bank)[0]
    kinds = malformed_messages(json.loads(good)["keypoints"])
    assert len({kind.name for kind in kinds}) == len(kinds) >= 8

    async def answer(kind):
        replies: list[bytes] = []
        client = await LoadClient.connect_url(url, replies.append, prefix_bytes=4096)
        async def replied(count: int) -> None:
            for _ in range(500):
                if len(replies) >= count and (kind.close is None or client.ended.done()):
                    return
                await asyncio.sleep(0.01)

        client.send(kind.frame)
        await replied(1)
        if kind.close is None:  # the connection stays open: a good pose gets its matches
            client.send(text_frame(good))
            await replied(2)
        code = client.close_code
        client.close()
        return [json.loads(reply) for reply in replies], code

    for kind in kinds:
        replies, code = run_in_fresh_loop(lambda kind=kind: answer(kind))
        assert replies[0]["type"] == "error" and replies[0]["code"] == kind.code, kind.name
        if kind.close is None:
            assert code is None and [r["type"] for r in replies] == ["error", "matches"]
        else:
            assert code == kind.close and len(replies) == 1, kind.name


def test_a_malformed_kind_tells_its_error_frame_from_other_replies(bank):
    kinds = {kind.name: kind for kind in malformed_messages(bank.keypoints[0].tolist())}
    invalid, oversized = kinds["NaN"], kinds["oversized"]
    assert invalid.answered_right(b'{"type":"error","id":"bad","code":"invalid","detail"')
    assert not invalid.answered_right(b'{"type":"error","id":"bad","code":"bad_pose","det')
    assert not invalid.answered_right(b'{"type":"matches","id":"bad","matches":[{"id":"')
    assert oversized.answered_right(b'{"type":"error","id":null,"code":"too_large","deta')
    # Only a kind that passes the schema is searched, so only it may be superseded.
    superseded = b'{"type":"superseded","id":"bad"}'
    assert kinds["no confident keypoint"].answered_right(superseded)
    assert not invalid.answered_right(superseded)


# How long a malformed client floods for it to get through every kind, although the server
# answers it 1 a second past its refused-message budget and closes a connection only once
# that budget is full again (4 s from empty): 8 messages on one connection take 8 s, the 9th
# kind 1 s more.
EVERY_KIND_SECONDS = 9.0


def test_good_clients_keep_their_matches_while_others_flood_malformed_messages(server, bank):
    """Under load: 20 page-like clients at 30 Hz beside 10 clients sending every malformed
    kind at 30 Hz (two kinds in nine end their connection and reconnect), for
    EVERY_KIND_SECONDS after 0.5 s of warm-up."""
    level = run_level(server, messages(bank), clients=20, rate=30,
                      seconds=EVERY_KIND_SECONDS,
                      warmup=0.5, loop="closed", malformed_clients=10)
    assert level.errors == 0 and level.unanswered == 0 and level.closed == 0
    assert level.answered == level.sent > 20 * 30 * EVERY_KIND_SECONDS * 0.5
    assert level.min_client_matches_per_second >= 10
    kinds = len(malformed_messages(bank.keypoints[0].tolist()))
    assert level.malformed_sent >= 10 * kinds  # every kind, from every malformed client
    # All answered, the late ones (the server slows a client past its budget for refused
    # messages) in the wait after the level.
    assert level.malformed_wrong == {} and level.malformed_unanswered == 0
    assert level.malformed_owed == 0
    assert level.malformed_answered_right == level.malformed_sent
    assert server.process.poll() is None  # still serving
    # The flood ran in its own process: its CPU is counted there, beside the good clients'.
    assert level.flood_cpu_percent > 0 and level.load_cpu_percent > 0
    assert level.other_cpu_percent is not None and level.other_cpu_percent >= 0


def test_a_comparison_floods_from_one_process_and_waits_for_answers_owed_once(
        server, bank, monkeypatch):
    """Rounds turn about without and with the flood; one flood process serves every level;
    only the last flooded level waits for the answers still owed (none is left owed after
    it), the others leave at their end with what is owed counted; nothing lost or wrong."""
    from movemirror.bench import load_level, serve

    entered: list[int] = []

    class Counted(FloodProcess):
        def __enter__(self) -> FloodProcess:
            entered.append(1)
            return super().__enter__()

    monkeypatch.setattr(serve, "FloodProcess", Counted)
    monkeypatch.setattr(load_level, "FloodProcess", Counted)
    plan = serve.Plan(rate=30, seconds=1.0, warmup=0.2, malformed_clients=3, rounds=3)
    flood = serve.compare_flood(server, messages(bank), 4, plan, "closed")
    assert len(entered) == 1
    assert len(flood.without) == len(flood.with_flood) == 3
    assert [level.malformed_clients for level in flood.without] == [0, 0, 0]
    assert [level.malformed_drain_seconds for level in flood.with_flood] == [0, 0, DRAIN_SECONDS]
    assert flood.levels_waited == 1 and flood.with_flood[-1].malformed_owed == 0
    assert flood.malformed_owed == 0 and flood.malformed_left_owed >= 0
    assert all(level.malformed_sent > 0 for level in flood.with_flood)
    assert flood.malformed_unanswered == 0 and flood.malformed_wrong == {}
    assert (flood.malformed_answered_right + flood.malformed_left_owed
            == flood.malformed_sent)
    for level in flood.without + flood.with_flood:
        assert level.errors == 0 and sum(level.latency_counts.values()) == level.answered > 0
    check_answers(flood)


def test_the_flood_runs_in_a_process_of_its_own(server, bank):
    """The malformed clients' sockets belong to another process than this one (the good
    clients'), and their answers are checked there all the same."""
    import time

    url = f"ws://{HOST}:{server.port}/api/stream"
    kinds = malformed_messages(bank.keypoints[0].tolist())
    with FloodProcess() as flooding:
        child = next(iter(flooding.pool._processes))
        assert child != os.getpid()
        start = time.perf_counter() + 0.2  # the same clock in both processes
        end = start + EVERY_KIND_SECONDS
        flood, cpu = flooding.pool.submit(run_flood, url, kinds, 2, 30, start,
                                          end).result(timeout=60)
    assert flood.sent >= len(kinds) and flood.answered_right == flood.sent and cpu > 0
    assert time.perf_counter() >= end  # it sent until the level's end, not before


def _rounds(ratios: list[float]) -> FloodComparison:
    """A comparison whose rounds' p99 ratios (with the flood / without) are ratios."""
    def level(p99_ms: float) -> LevelResult:
        return LevelResult(clients=1, rate_per_client=30, seconds=1, sent=0, answered=0,
                           errors=0, unanswered=0, matches_per_second=0, p50_ms=1,
                           p99_ms=p99_ms, max_ms=p99_ms, server_cpu_percent=None,
                           load_cpu_percent=0)
    return FloodComparison("closed", 1, 0, [level(10.0) for _ in ratios],
                           [level(10.0 * ratio) for ratio in ratios], (0.0, 0.0))


def test_the_median_interval_holds_the_median_and_narrows_with_agreeing_rounds():
    spread = _rounds([0.25, 0.9, 1.0, 1.1, 2.4])
    low, high = spread.median_p99_interval
    assert low <= spread.median_p99_ratio <= high and low >= 0.25 and high <= 2.4
    assert high - low >= 0.2
    low, high = _rounds([1.0, 1.01, 0.99, 1.0, 1.02]).median_p99_interval
    assert 0.99 - 1e-12 <= low <= high <= 1.02 + 1e-12


def test_the_verdict_is_met_missed_or_not_settled_from_the_interval():
    assert bound_verdict(1.05, 0.95, 1.2, 1.2) == "met"
    assert bound_verdict(1.3, 1.21, 1.4, 1.2) == "missed"
    assert bound_verdict(1.1, 0.9, 1.3, 1.2) == ("not settled (the estimate 1.10 is within "
                                                 "the bound, its interval 0.90-1.30 reaches "
                                                 "above it)")
    assert bound_verdict(1.25, 1.1, 1.4, 1.2).startswith("not settled (the estimate 1.25 is "
                                                          "over the bound")


def _level_of(ms: np.ndarray) -> LevelResult:
    """A level of 200 clients whose good answers took these latencies (ms)."""
    return LevelResult(
        clients=200, rate_per_client=30, seconds=10, sent=len(ms), answered=len(ms),
        errors=0, unanswered=0, matches_per_second=len(ms) / 10, p50_ms=0,
        p99_ms=float(np.percentile(ms, 99)), max_ms=0, server_cpu_percent=None,
        load_cpu_percent=0, latency_counts=latency_counts(ms))


def test_the_flood_s_verdict_pools_each_side_s_answers_over_the_rounds():
    """Six rounds whose p99 wanders 10-60 ms with the machine's load, the flood's side 1.1
    times the other in each: pooled ratio 1.1 and a narrow paired interval, within the bound,
    though the rounds' own p99s are those of different latencies."""
    rng = np.random.default_rng(9)
    without, with_flood = [], []
    for scale in rng.uniform(4, 25, 6):
        ms = rng.lognormal(np.log(scale), 0.4, 3_000)
        for side, stretch in ((without, 1.0), (with_flood, 1.1)):
            side.append(_level_of(ms * stretch))
    flood = FloodComparison("closed", 200, 20, without, with_flood, (0.0, 0.0))
    assert flood.pooled_p99_ratio == pytest.approx(1.1, rel=0.011)
    low, high = flood.pooled_p99_interval
    assert 1.08 <= low <= high <= 1.12 and flood.verdict == "met"
    assert f"ratio 1.10 (95% interval {low:.2f}-{high:.2f}" in describe_flood(flood)
    assert f"against the {FLOOD_P99_BOUND:.2f} bound met" in describe_flood(flood)
    assert "median of the rounds' ratios 1.10" in describe_flood(flood)


def test_the_flood_s_verdict_is_not_settled_where_the_pooled_and_the_median_disagree():
    """Twenty rounds where the flood's side is 1.3 times the other, in four of which the side
    without it stalls: the pooled p99 is the stalls' (met, well under 1), the rounds' median
    1.3 (missed); the verdict names both rather than take the pooled one's word."""
    rng = np.random.default_rng(4)
    without, with_flood = [], []
    for stall in [1] * 16 + [5] * 4:
        ms = rng.lognormal(np.log(10), 0.3, 3_000)
        for side, stretch in ((without, stall), (with_flood, 1.3)):
            side.append(_level_of(ms * stretch))
    flood = FloodComparison("closed", 200, 20, without, with_flood, (0.0, 0.0))
    assert flood.pooled_p99_ratio < 1 < FLOOD_P99_BOUND < flood.median_p99_ratio
    assert flood.verdict == ("not settled (by the pooled p99: met; by the median of the "
                             "rounds' ratios: missed)")


@pytest.fixture(scope="module")
def slow_budget_url(bank):
    """A server whose budget for refused messages is 1 at once, then 2 a second."""
    from movemirror.server import create_app
    from movemirror.server.limits import Limits
    from movemirror.server.websocket import WebSocketProtocol

    app = create_app(bank, limits=Limits(refused_burst=1, refused_per_second=2))
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as live:
        yield live.url.replace("http://", "ws://") + "/api/stream"


def flood_for(url: str, kinds: list[Malformed], seconds: float, drain: float) -> FloodStats:
    """One malformed client at 30 a second for `seconds`, then up to `drain` s of waiting."""
    import time

    stats = FloodStats()

    async def run():
        start = time.perf_counter()
        await malformed_client(url, kinds, 30, start, start + seconds, stats, drain=drain)

    run_in_fresh_loop(run)
    return stats


def test_answers_owed_after_the_level_are_waited_for_and_counted(slow_budget_url, bank):
    """Against a server that answers refused messages at 2 a second, a client that sent 30
    a second is owed most of its answers when the level ends: a short wait counts them as
    owed (not lost, not wrong), a long enough one gets them all, right and in order."""
    kinds = [kind for kind in malformed_messages(bank.keypoints[0].tolist())
             if kind.close is None and not kind.searched]  # one connection, never superseded
    short = flood_for(slow_budget_url, kinds, seconds=0.5, drain=0.3)
    assert short.sent >= 10 and short.wrong == {} and short.unanswered == 0
    assert short.owed > 0 and short.answered_right + short.owed == short.sent
    full = flood_for(slow_budget_url, kinds, seconds=0.2, drain=10)
    assert full.sent >= 4 and full.wrong == {} and full.unanswered == 0 and full.owed == 0
    assert full.answered_right == full.sent and full.answered_after_stop >= full.sent - 2


def test_a_wrong_answer_to_a_malformed_message_fails_the_bench(server, bank):
    url = f"ws://{HOST}:{server.port}/api/stream"
    kinds = {kind.name: kind for kind in malformed_messages(bank.keypoints[0].tolist())}
    # Bad JSON expecting the code of a pose that cannot be matched: the server's (right)
    # "invalid" error frame is then a wrong answer for the bench.
    mislabelled = Malformed("mislabelled", kinds["not JSON"].frame, "bad_pose")
    stats = flood_for(url, [mislabelled], seconds=0.3, drain=2)
    assert set(stats.wrong) == {"mislabelled"} and stats.wrong["mislabelled"] >= 3
    assert stats.wrong["mislabelled"] + stats.owed == stats.sent and stats.answered_right == 0
    level = LevelResult(
        clients=1, rate_per_client=30, seconds=0.3, sent=0, answered=0, errors=0,
        unanswered=0, matches_per_second=0, p50_ms=1, p99_ms=1, max_ms=1,
        server_cpu_percent=None, load_cpu_percent=0, malformed_clients=1,
        malformed_sent=stats.sent, malformed_wrong=stats.wrong)
    flood = FloodComparison("closed", 1, 1, [level], [level], (0.0, 0.0))
    with pytest.raises(WrongAnswers, match="mislabelled"):
        check_answers(flood)
    check_answers(FloodComparison(
        "closed", 1, 1, [level], [LevelResult(**{**level.__dict__,
                                                "malformed_wrong": {}})],
        (0.0, 0.0)))  # all right: no error


def test_a_level_runs_from_a_thread_whose_event_loop_is_running(server, bank):
    # As under Playwright's sync API, which marks its loop as running in the calling thread.
    async def inside_a_running_loop():
        return run_level(server, messages(bank), clients=2, rate=20, seconds=1.0,
                         warmup=0.2, loop="closed")

    with ThreadPoolExecutor(1) as pool:  # pytest's thread may hold Playwright's loop
        level = pool.submit(asyncio.run, inside_a_running_loop()).result()
    assert level.errors == 0 and level.answered == level.sent > 0


@pytest.mark.parametrize("loop", ["open", "closed"])
def test_clients_whose_connection_the_server_closes_are_counted_and_the_level_goes_on(
        server, bank, loop):
    from movemirror.server.limits import Limits

    oversize = json.dumps({"keypoints": bank.keypoints[0].tolist(), "width": 640,
                           "height": 480, "id": "x" * Limits().max_message_bytes})
    # Each closed with 1009 once its refused-message budget is full again: one refill after
    # the oversized message spent a token (1 s at the default 1 a second).
    seconds = 1 / Limits().refused_per_second + 1.0
    level = run_level(server, [oversize], clients=2, rate=20, seconds=seconds,
                      warmup=0.0, loop=loop)
    assert level.closed == 2 and level.errors >= 2 and level.answered == 0


def test_the_frame_clock_paces_frames_and_skips_to_the_newest():
    clock = FrameClock(rate=10, start=100.0, stop=101.0, first=5)
    assert 100.0 <= clock.due < 100.1
    first = clock.due
    clock.advance()
    assert clock.frame == 6 and clock.due == pytest.approx(first + 0.1)
    clock.advance(now=first + 0.1 + 0.35)  # 0.35 s late: frames 7, 8 and 9 were shown
    assert clock.frame == 9 and clock.due == pytest.approx(first + 0.4)
    clock.advance(now=clock.due - 0.05)  # early: still on to the next frame
    assert clock.frame == 10
    clock.due = 101.0
    assert run_in_fresh_loop(clock.wait) is False  # past the stop


def test_the_frame_clock_waits_until_a_frame_is_due():
    import time

    start = time.perf_counter()
    clock = FrameClock(rate=20, start=start, stop=start + 10)
    due = clock.due
    assert run_in_fresh_loop(clock.wait) is True
    assert time.perf_counter() >= due
