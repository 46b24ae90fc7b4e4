"""The stream's budget for refused messages: a connection past it is slowed (its answers come
at the refill rate, all of them, in order) while other connections are served at full speed;
a connection within it is not slowed. Real server, real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
from websockets.asyncio.client import connect

from movemirror.server import create_app
from movemirror.server.limits import Limits, TokenBucket
from movemirror.server.websocket import WebSocketProtocol

from .conftest import LiveServer
from .test_matcher import run_in_fresh_loop

BURST, PER_SECOND = 3, 4.0  # small, so that a test sees several refills in a second or two
LIMITS = Limits(refused_burst=BURST, refused_per_second=PER_SECOND)


@pytest.fixture(scope="module")
def url(bank):
    app = create_app(bank, limits=LIMITS)
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:
        yield server.url.replace("http://", "ws://") + "/api/stream"


def good(pose, name: str) -> str:
    return json.dumps({"id": name, "keypoints": np.asarray(pose).tolist(), "width": 640,
                       "height": 480, "k": 2})


def invalid(name: str) -> str:
    return json.dumps({"id": name, "keypoints": [[1, 2, 1]], "width": 9, "height": 9})


async def send_together(ws, texts: list[str]) -> None:
    """The messages in one write, so they reach the server at once."""
    async with ws.send_context():
        for text in texts:
            ws.protocol.send_text(text.encode())


async def timed_replies(ws, count: int, since: float) -> list[tuple[float, dict]]:
    """The next `count` replies with their arrival, in seconds after `since`."""
    replies = []
    for _ in range(count):
        reply = json.loads(await asyncio.wait_for(ws.recv(), 20))
        replies.append((time.perf_counter() - since, reply))
    return replies


def test_a_connection_past_its_budget_is_slowed_while_another_is_served_at_full_speed(
        url, bank):
    flood = [invalid(f"bad{i}") for i in range(BURST + 6)]

    async def run():
        async with connect(url) as flooding, connect(url) as calm:
            started = time.perf_counter()
            await send_together(flooding, flood)
            answers = asyncio.create_task(timed_replies(flooding, len(flood), started))
            calm_latencies = []
            while not answers.done():  # a page-like client: 30 a second, one in flight
                sent = time.perf_counter()
                await calm.send(good(bank.keypoints[len(calm_latencies) % 20], "calm"))
                reply = json.loads(await asyncio.wait_for(calm.recv(), 20))
                assert reply["type"] == "matches", reply
                calm_latencies.append(time.perf_counter() - sent)
                await asyncio.sleep(max(0.0, sent + 1 / 30 - time.perf_counter()))
            return await answers, calm_latencies

    answers, calm_latencies = run_in_fresh_loop(run)
    # Every refused message got its own error frame, in the order sent.
    assert [reply["id"] for _, reply in answers] == [f"bad{i}" for i in range(len(flood))]
    assert {(reply["type"], reply["code"]) for _, reply in answers} == {("error", "invalid")}
    times = [at for at, _ in answers]
    # Past the burst, the n-th answer comes no sooner than n refills after the start...
    for n, at in enumerate(times[BURST:], start=1):
        assert at >= n / PER_SECOND - 0.05, (n, times)
    # ... and not much later (the budget slows it to its rate, not below).
    assert times[-1] < (len(flood) - BURST) / PER_SECOND + 2.0, times
    # Meanwhile the other connection was answered at full speed, many times.
    assert len(calm_latencies) >= 10
    assert float(np.median(calm_latencies)) < 0.5 / PER_SECOND, calm_latencies


SLOW_REFILL = 0.5  # a second, for the test below


def test_a_connection_within_its_budget_is_not_slowed(bank):
    # Its own server, whose budget refills every 2 s: "answered before a single refill was
    # due" then has a margin that a busy machine's scheduling cannot eat (at the module's
    # rate a refill is due after 0.25 s, one hiccup of a loaded machine's).
    texts = [invalid(f"bad{i}") for i in range(BURST)] + [good(bank.keypoints[3], "after")]
    app = create_app(bank, limits=Limits(refused_burst=BURST, refused_per_second=SLOW_REFILL))
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:

        async def run():
            async with connect(server.url.replace("http://", "ws://") + "/api/stream") as ws:
                started = time.perf_counter()
                await send_together(ws, texts)
                return await timed_replies(ws, len(texts), started)

        replies = run_in_fresh_loop(run)
    assert [reply["id"] for _, reply in replies] == ["bad0", "bad1", "bad2", "after"]
    assert replies[-1][1]["type"] == "matches"
    assert replies[-1][1]["matches"][0]["id"] == bank.ids[3]
    # All answered well before a single refill would have been due.
    assert replies[-1][0] < 0.5 / SLOW_REFILL, replies


def test_poses_that_cannot_be_matched_spend_the_budget_too(url, bank):
    """A pose with no confident keypoint passes the schema and is refused by the search
    ("bad_pose"): past the budget its answers come at the refill rate; the connection's
    next good pose is answered once the budget is paid."""
    unmatchable = np.asarray(bank.keypoints[0]).copy()
    unmatchable[:, 2] = 0

    async def run():
        async with connect(url) as ws:
            started = time.perf_counter()
            replies = []
            for i in range(BURST + 3):  # one at a time, so none is superseded
                await ws.send(good(unmatchable, f"bad{i}"))
                replies += await timed_replies(ws, 1, started)
            await ws.send(good(bank.keypoints[5], "good"))
            replies += await timed_replies(ws, 1, started)
            return replies

    replies = run_in_fresh_loop(run)
    assert [reply.get("code") for _, reply in replies] == ["bad_pose"] * (BURST + 3) + [None]
    assert replies[-1][1]["matches"][0]["id"] == bank.ids[5]
    times = [at for at, _ in replies]
    for n, at in enumerate(times[BURST:BURST + 3], start=1):
        assert at >= n / PER_SECOND - 0.05, (n, times)


def test_the_budget_owes_a_token_it_does_not_have_and_pays_it_at_the_rate():
    now = [100.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert bucket.reserve() == pytest.approx(0.5)  # owed: paid after one refill
    assert bucket.reserve() == pytest.approx(1.0)  # reservations queue up
    now[0] += 0.75
    assert bucket.owed_seconds() == pytest.approx(0.25)
    now[0] += 0.25
    assert bucket.owed_seconds() == 0.0
    now[0] += 10
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]  # refilled to the burst
    assert bucket.reserve() > 0
    assert bucket.seconds_until_full() == pytest.approx(2.0)  # 4 tokens at 2 a second
    now[0] += 1.5
    assert bucket.seconds_until_full() == pytest.approx(0.5)
    now[0] += 1
    assert bucket.seconds_until_full() == 0.0


def test_the_stream_documents_the_budget_the_server_applies():
    from movemirror.server import stream

    limits = Limits()
    assert (f"budget per connection: {limits.refused_burst} at once, then "
            f"{limits.refused_per_second:g} a second") in " ".join(stream.__doc__.split())


def test_a_message_that_ends_the_connection_past_the_budget_gets_its_answer_and_close_late(
        url, bank):
    from websockets.exceptions import ConnectionClosed

    texts = [invalid(f"bad{i}") for i in range(BURST)]

    async def run():
        async with connect(url) as ws:
            started = time.perf_counter()
            await send_together(ws, texts)
            await ws.send(b"\xff\xd8 an image")  # binary: its error frame, then 1003
            replies = await timed_replies(ws, len(texts) + 1, started)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 20)
            return replies, time.perf_counter() - started, ws.close_code

    replies, closed_after, code = run_in_fresh_loop(run)
    assert [reply["code"] for _, reply in replies] == ["invalid"] * BURST + ["unsupported"]
    assert replies[-1][0] >= 1 / PER_SECOND - 0.05 and closed_after >= 1 / PER_SECOND - 0.05
    assert code == 1003


def test_a_client_closed_for_a_refused_message_gains_nothing_by_reconnecting(url, bank):
    """Each connection ends after one binary frame (its error frame, then 1003). The close
    comes only once the connection's budget is full again, so a client that reconnects at
    once after each close is answered no faster than the budget's rate."""
    from websockets.exceptions import ConnectionClosed

    connections = 6

    async def run():
        started = time.perf_counter()
        answers = []
        for i in range(connections):
            async with connect(url) as ws:
                await ws.send(good(bank.keypoints[i], f"bin{i}").encode())
                answers += await timed_replies(ws, 1, started)
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 20)
                assert ws.close_code == 1003
        return answers, time.perf_counter() - started

    answers, elapsed = run_in_fresh_loop(run)
    assert [reply["code"] for _, reply in answers] == ["unsupported"] * connections
    # One token spent a connection, and its close waited for it to be back: 1/PER_SECOND.
    assert elapsed >= connections / PER_SECOND - 0.05, (elapsed, answers)
    assert elapsed < connections / PER_SECOND + 2.0, (elapsed, answers)


PING_INTERVAL, PING_TIMEOUT = 0.3, 1.0


@pytest.fixture
def quick_keepalive(bank):
    """A server of its own that pings every 0.3 s, closing a client whose pong is not read
    within 1 s (a healthy client's pong is read in far less, on a loaded machine too: 0.3 s
    was not always enough); a budget of 3 refused messages at once, then 20 a second."""
    app = create_app(bank, limits=Limits(refused_burst=3, refused_per_second=20))
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024,
                    ws_ping_interval=PING_INTERVAL, ws_ping_timeout=PING_TIMEOUT) as server:
        yield server


def test_a_slowed_client_is_not_closed_by_the_keepalive_while_its_pong_waits_unread(
        quick_keepalive, bank):
    """Its pongs sit in the socket behind its own messages, which the server reads at the
    budget's rate: the pong to the first ping (0.3 s in) is read only once the server has
    read past the 70 messages sent before it, about 2.5 s in (16 read ahead of the 54 paid
    at 20 a second), twice the ping timeout later; and still every message gets its
    answer."""
    sent = 70
    url = quick_keepalive.url.replace("http://", "ws://") + "/api/stream"

    async def run():
        async with connect(url) as ws:
            started = time.perf_counter()
            await send_together(ws, [invalid(f"bad{i}") for i in range(sent)])
            replies = await timed_replies(ws, sent, started)
            await ws.send(good(bank.keypoints[2], "after"))
            after = json.loads(await asyncio.wait_for(ws.recv(), 20))
            return replies, after

    replies, after = run_in_fresh_loop(run)
    assert [reply["id"] for _, reply in replies] == [f"bad{i}" for i in range(sent)]
    assert replies[-1][0] >= (sent - 3) / 20 - 0.05  # slowed: over three ping timeouts long
    assert after["type"] == "matches" and after["matches"][0]["id"] == bank.ids[2]


def test_a_client_that_answers_no_ping_is_still_closed_by_the_keepalive(quick_keepalive):
    """It reads nothing, so answers no ping, until the server has dropped its connection
    (however long the keepalive takes on a loaded machine); then it finds the close."""
    from websockets.exceptions import ConnectionClosed

    url = quick_keepalive.url.replace("http://", "ws://") + "/api/stream"
    connections = quick_keepalive.server.server_state.connections

    async def run():
        async with connect(url, ping_interval=None) as ws:
            ws.transport.pause_reading()
            deadline = time.perf_counter() + 20  # only against a hang
            while connections and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            ws.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert run_in_fresh_loop(run) == 1011



def connections_after(state, seconds: float) -> int:
    """The server's open connections once they are none, or after `seconds`."""
    deadline = time.perf_counter() + seconds
    while state.connections and time.perf_counter() < deadline:
        time.sleep(0.05)
    return state.connections

def test_a_slowed_client_that_leaves_frees_its_connection_at_once(bank):
    """A client that sent many refused messages at once and left (its socket closed, as when
    its process ends): the server does not go on paying the budget for the messages it had
    read ahead (one refill each, for a client long gone), it frees the connection. (A polite
    close would wait out the client's close timeout, 10 s: its close frame is behind the
    messages the server reads at the budget's rate.)"""
    app = create_app(bank, limits=LIMITS)
    state = app.state.movemirror
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:
        url = server.url.replace("http://", "ws://") + "/api/stream"

        async def flood_and_leave() -> None:
            async with connect(url) as ws:
                await send_together(ws, [invalid(f"bad{i}") for i in range(60)])
                await timed_replies(ws, BURST + 1, time.perf_counter())  # slowed by now
                ws.transport.abort()

        run_in_fresh_loop(flood_and_leave)
        # Paying for the 60 at the rate would take (60 - BURST) / PER_SECOND = 14 s.
        assert connections_after(state, 3) == 0


def test_stopping_the_server_does_not_wait_out_a_budget_a_client_owes_before_its_close(bank):
    """A refused message that ends the connection (binary) is answered, and the connection
    closed, only once the budget is full again: here 20 s after it came. Stopping the server
    meanwhile (Ctrl-C on `movemirror serve`) closes the connection at once (1012) and stops
    without waiting that out: the connection's task once slept on to the end of the budget,
    and the server waited for it."""
    app = create_app(bank, limits=Limits(refused_burst=1, refused_per_second=0.1))
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:
        url = server.url.replace("http://", "ws://") + "/api/stream"

        async def run():
            from websockets.exceptions import ConnectionClosed

            async with connect(url) as ws:
                async with ws.send_context():  # in one write: read one after the other
                    ws.protocol.send_text(invalid("bad0").encode())
                    ws.protocol.send_binary(b"\xff\xd8 an image")
                await timed_replies(ws, 1, time.perf_counter())  # bad0's: the budget spent
                await asyncio.sleep(0.2)  # the binary's answer is 20 s away now
                server.server.should_exit = True
                stopping = time.perf_counter()
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 20)
                while server.thread.is_alive() and time.perf_counter() < stopping + 30:
                    await asyncio.sleep(0.05)
                return time.perf_counter() - stopping, ws.close_code

        stopped_after, code = run_in_fresh_loop(run)
    assert code == 1012  # uvicorn's "service restart"
    assert stopped_after < 6, stopped_after  # not the 20 s of the budget


def test_a_client_that_leaves_while_its_close_is_held_frees_its_connection_at_once(bank):
    """Its binary message's answer and close wait for a full budget (20 s here); a client that
    leaves meanwhile frees its connection at once, not when that wait is over."""
    app = create_app(bank, limits=Limits(refused_burst=1, refused_per_second=0.1))
    state = app.state.movemirror
    with LiveServer(app, ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:
        url = server.url.replace("http://", "ws://") + "/api/stream"

        async def send_and_leave() -> None:
            async with connect(url) as ws:
                async with ws.send_context():
                    ws.protocol.send_text(invalid("bad0").encode())
                    ws.protocol.send_binary(b"\xff\xd8 an image")
                await timed_replies(ws, 1, time.perf_counter())  # bad0's: the budget spent
                ws.transport.abort()

        run_in_fresh_loop(send_and_leave)
        assert connections_after(state, 5) == 0  # not the 20 s the close waits for
