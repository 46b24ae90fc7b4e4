"""The WebSocket stream: replies in order, stale poses shed, error frames for bad messages,
limits that close."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from movemirror.server import create_app
from movemirror.server.limits import Limits
from movemirror.server.protocol import parse_query
from movemirror.server.stream import OwedReplies, Waiting
from movemirror.server.websocket import WebSocketProtocol

from .conftest import LiveServer
from .test_matcher import run_in_fresh_loop


def message(pose, **options) -> str:
    return json.dumps({"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480,
                       **options})


@pytest.fixture(scope="module")
def client(bank):
    limits = Limits(rate_per_second=20, burst=10, max_refused_in_a_row=15)
    with TestClient(create_app(bank, limits=limits)) as client:
        yield client


def test_stream_answers_each_pose_in_order(client, bank):
    replies = []
    with client.websocket_connect("/api/stream") as ws:
        for i in (4, 9, 2):  # one in flight at a time, as the page sends
            ws.send_text(message(bank.keypoints[i], id=i, k=3, mirror=True))
            replies.append(json.loads(ws.receive_text()))
    assert [r["id"] for r in replies] == [4, 9, 2]
    for reply in replies:
        assert reply["type"] == "matches"
        assert len(reply["matches"]) == 3
        assert reply["matches"][0]["id"] == bank.ids[reply["id"]]
        assert reply["matches"][0]["thumbnail"].startswith("/bank/thumbs/")
        assert reply["elapsed_ms"] >= 0


def test_stream_and_rest_give_the_same_matches(client, bank):
    pose = bank.keypoints[11]
    rest = client.post("/api/search", json=json.loads(message(pose, k=8, metric="weighted")))
    with client.websocket_connect("/api/stream") as ws:
        ws.send_text(message(pose, k=8, metric="weighted"))
        streamed = json.loads(ws.receive_text())
    assert [m["id"] for m in streamed["matches"]] == [m["id"] for m in rest.json()["matches"]]
    assert np.allclose([m["distance"] for m in streamed["matches"]],
                       [m["distance"] for m in rest.json()["matches"]], atol=1e-5)


@pytest.mark.parametrize("text, code, words", [
    ('{"keypoints": [[1,', "invalid", "JSON"),
    ("[1, 2, 3]", "invalid", "object"),
    ('{"id": 5, "keypoints": [[1, 2, 1]], "width": 9, "height": 9}', "invalid", "keypoints"),
    ('{"id": 6, "keypoints": ' + json.dumps([[float("nan"), 1, 1]] * 17)
     + ', "width": 9, "height": 9}', "invalid", "finite"),
    ('{"id": 7, "keypoints": ' + json.dumps([[1e308 * 10, 1, 1]] * 17)
     + ', "width": 9, "height": 9}', "invalid", "finite"),
    ('{"id": 8, "keypoints": ' + json.dumps([[0, 0, 0]] * 17) + ', "width": 9, "height": 9}',
     "bad_pose", "confident keypoints"),
    ("[" * 5000 + "]" * 5000, "invalid", "recursion"),
])
def test_bad_messages_get_an_error_frame_and_the_stream_goes_on(client, bank, text, code, words):
    with client.websocket_connect("/api/stream") as ws:
        ws.send_text(text)
        error = json.loads(ws.receive_text())
        assert error["type"] == "error" and error["code"] == code
        assert words.lower() in error["detail"].lower()
        if text.startswith('{"id": '):
            assert error["id"] == json.loads(text.replace("NaN", "0").replace("Infinity", "0"))[
                "id"]
        ws.send_text(message(bank.keypoints[0], id="after"))
        assert json.loads(ws.receive_text())["id"] == "after"


def test_oversize_message_closes_with_1009(client, bank):
    with client.websocket_connect("/api/stream") as ws:
        ws.send_text(message(bank.keypoints[0], id="x" * 20_000))
        assert json.loads(ws.receive_text())["code"] == "too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1009


def test_binary_frames_close_with_1003(client):
    with client.websocket_connect("/api/stream") as ws:
        ws.send_bytes(b"\xff\xd8\xff\xe0 an image")
        assert json.loads(ws.receive_text())["code"] == "unsupported"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1003


def test_a_flood_is_refused_then_closed_while_others_are_served(client, bank):
    text = message(bank.keypoints[0], k=1)
    with client.websocket_connect("/api/stream") as calm, \
            client.websocket_connect("/api/stream") as flood:
        codes = []
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(200):
                flood.send_text(text)
            while True:
                codes.append(json.loads(flood.receive_text()).get("code"))
        assert closed.value.code == 1008
        assert codes.count(None) >= 10  # the burst got its matches or superseded frames
        assert "rate_limited" in codes
        calm.send_text(message(bank.keypoints[1], id="calm"))
        reply = json.loads(calm.receive_text())
        assert reply["type"] == "matches" and reply["id"] == "calm"


def test_a_full_server_turns_new_streams_away_with_1013(bank):
    with TestClient(create_app(bank, limits=Limits(max_connections=1))) as client:
        with client.websocket_connect("/api/stream") as first:
            with client.websocket_connect("/api/stream") as second, \
                    pytest.raises(WebSocketDisconnect) as closed:
                second.receive_text()
            assert closed.value.code == 1013
            first.send_text(message(bank.keypoints[0], id="still here"))
            assert json.loads(first.receive_text())["id"] == "still here"


@pytest.fixture(scope="module", params=["uvicorn's websockets", "movemirror serve's"])
def stream_server(request, bank, live_server):
    """The stream behind uvicorn's own WebSocket protocol, and behind the one `movemirror
    serve` runs (it writes the frames owed together in one go)."""
    if request.param == "uvicorn's websockets":
        yield live_server
        return
    with LiveServer(create_app(bank), ws=WebSocketProtocol, ws_max_size=64 * 1024) as server:
        yield server


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/api/stream"


def send_burst(ws, texts: list[str]) -> None:
    """All the messages in one write to the socket, so they reach the server together."""
    with ws.send_context():
        for text in texts:
            ws.protocol.send_text(text.encode())


def test_a_burst_is_answered_with_its_newest_pose_and_the_rest_superseded(stream_server, bank):
    # A real socket and one write, so the burst is there before the server reads it; default
    # limits, so a burst of 100 fits the rate limit and only shedding thins it.
    with connect(ws_url(stream_server)) as ws:
        send_burst(ws, [message(bank.keypoints[i % 20], id=f"q{i}", k=2) for i in range(100)])
        replies = [json.loads(ws.recv(timeout=10)) for _ in range(100)]
        ws.send(message(bank.keypoints[3], id="alone", k=2))
        alone = json.loads(ws.recv(timeout=10))
    assert [r["id"] for r in replies] == [f"q{i}" for i in range(100)]  # one reply each, in order
    kinds = [r["type"] for r in replies]
    assert set(kinds) <= {"matches", "superseded"}
    assert kinds[-1] == "matches"  # the newest pose is always answered
    # How many pieces the server reads the burst in depends on the machine's load (10 answers
    # seen under a load of 8); most of it is shed all the same.
    assert kinds.count("superseded") >= 75, kinds
    for i, reply in enumerate(replies):
        if reply["type"] == "superseded":
            assert reply == {"type": "superseded", "id": f"q{i}"}
        else:
            assert reply["matches"][0]["id"] == bank.ids[i % 20]
    assert alone["type"] == "matches" and alone["matches"][0]["id"] == bank.ids[3]


def test_error_frames_keep_their_place_in_a_burst(stream_server, bank):
    texts = []
    for i in range(40):
        if i % 10 == 5:
            texts.append(json.dumps({"id": f"bad{i}", "keypoints": [[1, 2, 1]], "width": 9,
                                     "height": 9}))
        else:
            texts.append(message(bank.keypoints[i], id=f"q{i}", k=1))
    with connect(ws_url(stream_server)) as ws:
        send_burst(ws, texts)
        replies = [json.loads(ws.recv(timeout=10)) for _ in texts]
    for i, reply in enumerate(replies):
        if i % 10 == 5:
            assert reply["type"] == "error" and reply["code"] == "invalid"
            assert reply["id"] == f"bad{i}" and "keypoints" in reply["detail"]
        else:
            assert reply["id"] == f"q{i}" and reply["type"] in ("matches", "superseded")
    assert replies[-1]["type"] == "matches"


def test_owed_replies_supersede_every_waiting_query_but_the_newest(bank):
    def query(name):
        return Waiting(parse_query(message(bank.keypoints[0], id=name)), 0.0)

    async def run():
        replies = OwedReplies(limit=64)
        first = query("a")
        replies.put(first)
        taken = [await replies.take()]  # being searched: nothing can supersede it now
        later = [query("b"), query("c"), "an error frame", query("d")]
        for item in later:
            replies.put(item)
        taken += [await replies.take() for _ in later]
        replies.put(query("e"))
        taken.append(await replies.take())
        return taken

    taken = run_in_fresh_loop(run)
    described = [item if isinstance(item, str) else (item.query.id, item.superseded)
                 for item in taken]
    assert described == [("a", False), ("b", True), ("c", True), "an error frame",
                         ("d", False), ("e", False)]


def test_a_client_that_does_not_read_stops_being_read(bank):
    async def run():
        replies = OwedReplies(limit=3)
        for name in "abc":
            replies.put(name)
        blocked = asyncio.create_task(replies.room())
        await asyncio.sleep(0.05)
        was_blocked = not blocked.done()
        await replies.take()
        await asyncio.wait_for(blocked, 1)
        return was_blocked

    assert run_in_fresh_loop(run)


def test_bad_messages_of_every_kind_get_their_error_frame_inside_a_burst(stream_server, bank):
    bad = {7: '{"keypoints": [[1,', 21: "[1, 2, 3]",
           33: message(bank.keypoints[0], id="bad33", k=0),
           45: json.dumps({"id": "bad45", "keypoints": [[float("nan"), 1, 1]] * 17, "width": 9,
                           "height": 9}),
           58: json.dumps({"id": "bad58", "keypoints": [["x", 1, 1]] * 17, "width": 9,
                           "height": 9})}
    texts = [bad.get(i) or message(bank.keypoints[i % 20], id=f"q{i}", k=2) for i in range(80)]
    with connect(ws_url(stream_server)) as ws:
        send_burst(ws, texts)
        replies = [json.loads(ws.recv(timeout=10)) for _ in texts]
    for i, reply in enumerate(replies):
        if i in bad:
            assert reply["type"] == "error" and reply["code"] == "invalid", (i, reply)
        else:
            assert reply["id"] == f"q{i}" and reply["type"] in ("matches", "superseded")
    assert replies[-1]["type"] == "matches"
    assert [r["type"] for r in replies].count("superseded") >= 50
