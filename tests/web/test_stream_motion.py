"""The stream's movement match (`"motion": true`) and GET /api/track, on a bank of real Penn
Action clips (keypoints only: tracks without pictures)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from movemirror.bank import PoseBank
from movemirror.server import create_app
from movemirror.server.movement import HISTORY_SECONDS, MIN_MOVEMENT_SECONDS, RecentPoses

FPS = 30.0
CLIPS = 40


@pytest.fixture(scope="module")
def clips(penn_valid):
    """The first CLIPS Penn clips of at least 3 s, by number: their poses."""
    keypoints, clip_of = penn_valid
    out = {}
    for clip in np.unique(clip_of):
        poses = keypoints[clip_of == clip]
        if len(poses) >= 90:
            out[int(clip)] = poses
        if len(out) == CLIPS:
            break
    return out


@pytest.fixture(scope="module")
def motion_bank(clips) -> PoseBank:
    meta = {"track": [f"clip-{c}" for c, poses in clips.items() for _ in poses],
            "frame_time": [i / FPS for poses in clips.values() for i in range(len(poses))]}
    return PoseBank.from_keypoints(np.concatenate(list(clips.values())), meta=meta)


@pytest.fixture(scope="module")
def client(motion_bank):
    with TestClient(create_app(motion_bank, web_modules=None)) as client:
        yield client


def message(pose, **fields) -> str:
    return json.dumps({"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480,
                       "k": 3, **fields})


def send_clip(ws, poses, times, **fields) -> list[dict]:
    """One pose at a time, each reply awaited (as the page does)."""
    replies = []
    for i, (pose, t) in enumerate(zip(poses, times, strict=True)):
        ws.send_text(message(pose, id=i, motion=True, time=float(t), **fields))
        replies.append(json.loads(ws.receive_text()))
    return replies


def test_a_bank_clip_played_to_the_stream_is_found_where_it_is(client, clips):
    clip = list(clips)[7]
    poses = clips[clip][30:75]  # 1.5 s from 1 s into the clip
    times = 100.0 + np.arange(len(poses)) / FPS  # the client's clock, not the clip's
    with client.websocket_connect("/api/stream") as ws:
        replies = send_clip(ws, poses, times)
    for reply, t in zip(replies, times, strict=True):
        assert reply["type"] == "matches" and len(reply["matches"]) == 3  # still matches too
        assert reply["movement_s"] == pytest.approx(min(t - times[0], HISTORY_SECONDS),
                                                    abs=1e-3)
        if t - times[0] < MIN_MOVEMENT_SECONDS - 1e-9:
            assert reply["motion"] == []
    last = replies[-1]["motion"]
    assert len(last) == 3 and len({m["track"] for m in last}) == 3
    best = last[0]
    assert best["track"] == f"clip-{clip}"
    assert best["end"] == pytest.approx(74 / FPS, abs=0.05)  # where the clip is now
    assert best["end"] - best["start"] == pytest.approx(
        best["speed"] * (times[-1] - times[0]), abs=1e-3)
    assert best["speed"] == pytest.approx(1.0, abs=0.12)
    assert best["thumbnail"] is None and best["frame_time"] == pytest.approx(best["start"],
                                                                             abs=1 / FPS)
    assert [m["distance"] for m in last] == sorted(m["distance"] for m in last)


def test_each_connection_has_its_own_movement(client, clips):
    poses = list(clips.values())[3][:40]
    times = np.arange(len(poses)) / FPS
    with client.websocket_connect("/api/stream") as first:
        assert send_clip(first, poses, times)[-1]["motion"]
        with client.websocket_connect("/api/stream") as second:
            reply = send_clip(second, poses[-1:], times[-1:])[0]
            assert reply["motion"] == [] and reply["movement_s"] == 0
        # a time that goes back starts over (the client's clock was reset)
        again = send_clip(first, poses[:2], times[:2])
        assert [r["motion"] for r in again] == [[], []]
        assert again[-1]["movement_s"] == pytest.approx(1 / FPS, abs=1e-3)


def test_messages_without_motion_are_unchanged(client, clips):
    with client.websocket_connect("/api/stream") as ws:
        ws.send_text(message(list(clips.values())[0][5], id=1))
        reply = json.loads(ws.receive_text())
    assert set(reply) == {"type", "id", "matches", "elapsed_ms"}


def test_the_default_likeness_searches_movement_with_cosine(client, clips):
    """The page sends its metric, "likeness" by default, with its movement: that movement is
    searched with likeness's first stage, cosine, not refused."""
    poses = list(clips.values())[5][:50]
    times = np.arange(len(poses)) / FPS
    with client.websocket_connect("/api/stream") as ws:
        default = send_clip(ws, poses, times)
    with client.websocket_connect("/api/stream") as ws:
        cosine = send_clip(ws, poses, times, metric="cosine")
    assert all(r["type"] == "matches" for r in default)
    assert default[-1]["motion"] and default[-1]["motion"] == cosine[-1]["motion"]


def test_a_metric_movement_search_cannot_use_is_an_error_frame(client, clips):
    poses = list(clips.values())[1][:40]
    with client.websocket_connect("/api/stream") as ws:
        replies = send_clip(ws, poses, np.arange(len(poses)) / FPS, metric="torso")
    assert replies[0]["type"] == "matches"  # not a movement yet: nothing to refuse
    assert replies[-1]["type"] == "error" and replies[-1]["code"] == "bad_motion"
    assert "torso" in replies[-1]["detail"]


def test_a_track_s_frames_are_served_in_time_order(client, clips, motion_bank):
    clip = list(clips)[2]
    whole = client.get("/api/track", params={"name": f"clip-{clip}"})
    assert whole.status_code == 200
    frames = whole.json()["frames"]
    assert len(frames) == len(clips[clip])
    assert [f["time"] for f in frames] == pytest.approx(np.arange(len(frames)) / FPS)
    ids = {motion_bank.ids[i]: i for i in range(len(motion_bank))}
    for f in frames[::10]:
        assert f["thumbnail"] is None
        assert np.allclose(f["keypoints"], motion_bank.keypoints[ids[f["id"]]])
    part = client.get("/api/track", params={"name": f"clip-{clip}", "start": 1.0, "end": 2.0})
    assert [f["time"] for f in part.json()["frames"]] == pytest.approx(np.arange(30, 61) / FPS)
    missing = client.get("/api/track", params={"name": "no such track"})
    assert missing.status_code == 404 and "no such track" in missing.json()["detail"]


def test_the_movement_message_is_documented_in_the_openapi_description(client):
    schema = client.get("/openapi.json").json()
    stream_doc = schema["paths"]["/api/stream"]["get"]["description"]
    for words in ('"motion": true', "movement_s", "dropped when the connection closes",
                  "/api/track"):
        assert words in stream_doc
    assert "/api/track" in schema["paths"]
    assert {"track", "frames"} <= set(schema["components"]["schemas"]["TrackFrames"][
        "properties"])


def test_recent_poses_keep_the_last_seconds_and_only_usable_poses(clips):
    poses = list(clips.values())[0][:90]
    recent = RecentPoses()
    for i, pose in enumerate(poses):
        recent.add(i / FPS, pose)
    held, times = recent.movement(89 / FPS)
    assert times[-1] - times[0] == pytest.approx(HISTORY_SECONDS)
    assert np.array_equal(held[-1], poses[-1])
    assert recent.movement(89 / FPS - HISTORY_SECONDS + 0.5) is None  # under a second held
    recent.add(3.5, np.zeros_like(poses[0]))  # a pose no search can use is left out
    held, times = recent.movement(3.5)
    assert times[-1] == pytest.approx(89 / FPS) and len(held) == len(times)
