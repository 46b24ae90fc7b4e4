"""The WebSocket stream: replies in order, error frames for bad messages, limits that close."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from movemirror.server import create_app
from movemirror.server.limits import Limits


def message(pose, **options) -> str:
    return json.dumps({"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480,
                       **options})


@pytest.fixture(scope="module")
def client(bank):
    limits = Limits(rate_per_second=20, burst=10, max_refused_in_a_row=15)
    with TestClient(create_app(bank, limits=limits)) as client:
        yield client


def test_stream_answers_each_pose_in_order(client, bank):
    with client.websocket_connect("/api/stream") as ws:
        for i in (4, 9, 2):
            ws.send_text(message(bank.keypoints[i], id=i, k=3, mirror=True))
        replies = [json.loads(ws.receive_text()) for _ in range(3)]
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
        assert codes.count(None) >= 10  # the burst was answered
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
