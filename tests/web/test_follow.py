"""serve --follow: a live server picks up a version appended while a WebSocket stays open."""

from __future__ import annotations

import io
import json
import shutil
import time
import urllib.request

import numpy as np
from PIL import Image
from websockets.sync.client import connect

from movemirror.bank import PoseBank
from movemirror.keypoints import mirror_keypoints
from movemirror.server import create_app

from .conftest import LiveServer
from .test_matcher import run_in_fresh_loop


def _message(pose, **options) -> str:
    """A query by cosine without the mirror: the default (likeness) would find the mirrored
    pose these tests send as new."""
    return json.dumps({"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480,
                       "metric": "cosine", **options})


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.read()


def test_follow_serves_an_appended_version_over_the_same_websocket(bank_dir, tmp_path):
    folder = tmp_path / "bank"
    shutil.copytree(bank_dir, folder)
    bank = PoseBank.load(folder)
    # A real pose the bank does not hold: one of its poses, mirrored.
    query = mirror_keypoints(bank.keypoints[5], image_width=640)
    picture = io.BytesIO()
    Image.new("RGB", (40, 60), (200, 30, 30)).save(picture, "JPEG")
    app = create_app(bank, web_modules=None, follow=True)
    with LiveServer(app) as server, connect(
            f"ws://127.0.0.1:{server.port}/api/stream", open_timeout=10) as ws:
        ws.send(_message(query, id="before", k=1))
        before = json.loads(ws.recv(timeout=30))
        assert before["matches"][0]["distance"] > 1e-3  # nothing in the bank is this pose
        writer = PoseBank.load(folder)  # e.g. `movemirror index` committing beside the server
        writer.add(query[None], ids=["appended"],
                   meta={"image": [picture.getvalue()], "thumbnail": ["thumbs/appended.jpg"]})
        writer.save()
        assert int(writer.generation) > int(bank.generation)
        deadline = time.monotonic() + 90
        while json.loads(_get(f"{server.url}/api/health"))["bank_version"] != writer.generation:
            assert time.monotonic() < deadline, "the server never picked up the new version"
            ws.send(_message(query, id="meanwhile", k=1))  # the stream keeps answering
            assert json.loads(ws.recv(timeout=30))["type"] == "matches"
            time.sleep(0.3)
        ws.send(_message(query, id="after", k=1))
        after = json.loads(ws.recv(timeout=30))
    assert after["id"] == "after" and after["matches"][0]["id"] == "appended"
    assert after["matches"][0]["distance"] < 1e-4
    assert after["matches"][0]["thumbnail"] == "/bank/thumbs/appended.jpg"
    assert app.state.movemirror.reloads == 1
    health = app.state.movemirror
    assert len(health.bank) == len(bank) + 1


def test_follow_serves_the_pictures_of_the_new_version(bank_dir, tmp_path):
    from fastapi.testclient import TestClient

    folder = tmp_path / "bank"
    shutil.copytree(bank_dir, folder)
    bank = PoseBank.load(folder)
    writer = PoseBank.load(folder)
    picture = io.BytesIO()
    Image.new("RGB", (30, 50), (10, 200, 30)).save(picture, "JPEG")
    bigger = bank.keypoints[:1].copy()
    bigger[..., :2] *= 1.5
    writer.add(bigger, ids=["bigger"],
               meta={"image": [picture.getvalue()], "thumbnail": ["thumbs/bigger.jpg"]})
    writer.save()
    with TestClient(create_app(bank, web_modules=None, follow=True)) as client:
        assert client.get("/bank/thumbs/bigger.jpg").status_code == 404  # not yet known
        deadline = time.monotonic() + 90
        while client.get("/api/health").json()["bank_version"] != writer.generation:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        served = client.get("/bank/thumbs/bigger.jpg")
    assert served.status_code == 200 and served.content == picture.getvalue()
    assert served.headers["content-type"] == "image/jpeg"


def test_follow_says_once_that_the_bank_is_gone_and_once_that_it_is_back(bank_dir, tmp_path,
                                                                        caplog, monkeypatch):
    import asyncio
    import logging

    from movemirror.bank import storage
    from movemirror.server.follow import follow

    folder = tmp_path / "bank"
    shutil.copytree(bank_dir, folder)
    state = create_app(PoseBank.load(folder), web_modules=None).state.movemirror
    polls = []
    polled = storage.current_generation

    def counted(path):
        polls.append(path)
        return polled(path)

    monkeypatch.setattr(storage, "current_generation", counted)

    async def until(condition) -> None:
        deadline = asyncio.get_running_loop().time() + 60
        while not condition():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)

    async def run() -> None:
        task = asyncio.create_task(follow(state, poll_seconds=0.02, grace_seconds=0))
        await until(lambda: len(polls) >= 2)
        shutil.move(folder, tmp_path / "away")  # moved away while serving
        seen = len(polls)
        await until(lambda: len(polls) >= seen + 6)  # polls that fail, several
        shutil.move(tmp_path / "away", folder)
        writer = PoseBank.load(folder)
        moved = state.bank.keypoints[:1].copy()
        moved[..., :2] += 3
        writer.add(moved, ids=["appended"])
        writer.save()
        await until(lambda: state.reloads == 1)
        task.cancel()

    with caplog.at_level(logging.INFO, logger="movemirror.server.follow"):
        run_in_fresh_loop(run)  # not asyncio.run: Playwright's loop may run on this thread
    said = [record.getMessage() for record in caplog.records]
    assert len([m for m in said if "cannot open" in m]) == 1, said
    assert len([m for m in said if "opens again" in m]) == 1, said
