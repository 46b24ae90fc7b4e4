"""POST /api/search, /api/health, OpenAPI, thumbnails and vendor files, through the real app."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from movemirror.keypoints import mirror_keypoints
from movemirror.server import create_app
from movemirror.server.limits import Limits


@pytest.fixture(scope="module")
def client(bank):
    with TestClient(create_app(bank)) as client:
        yield client


def body(pose, **options) -> dict:
    return {"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480, **options}


def test_health_reports_the_bank_size(client, bank):
    reply = client.get("/api/health")
    assert reply.status_code == 200
    assert reply.json()["bank_size"] == len(bank) == 51
    assert reply.json()["status"] == "ok"


def test_health_reports_the_bank_version_which_a_commit_changes(bank_dir, tmp_path):
    import shutil

    from movemirror.bank import PoseBank, storage

    copy = tmp_path / "bank"
    shutil.copytree(bank_dir, copy)
    loaded = PoseBank.load(copy)
    with TestClient(create_app(loaded)) as client:
        version = client.get("/api/health").json()["bank_version"]
    assert version == loaded.generation == storage.current_generation(copy)
    loaded.add(mirror_keypoints(loaded.keypoints[:1], image_width=640), ids=["one-more"])
    loaded.save()  # a new version of the bank, as ingestion or a rolling update brings
    again = PoseBank.load(copy)
    with TestClient(create_app(again)) as client:
        newer = client.get("/api/health").json()["bank_version"]
    assert newer == again.generation != version
    assert int(newer) > int(version)


def test_search_finds_the_pose_itself_first(client, bank, query_pose):
    reply = client.post("/api/search", json=body(query_pose, k=5, id="q1"))
    assert reply.status_code == 200, reply.text
    result = reply.json()
    assert result["id"] == "q1"
    matches = result["matches"]
    assert len(matches) == 5
    assert matches[0]["id"] == bank.ids[0]
    assert matches[0]["distance"] == pytest.approx(0, abs=1e-4)
    distances = [m["distance"] for m in matches]
    assert distances == sorted(distances)
    record = bank.record(0)
    assert "source" not in matches[0]  # a path on the server: never sent
    assert matches[0]["file"] == record["source"].split("/")[-1]
    assert matches[0]["published_source"] == record["published_source"]
    assert matches[0]["licence"] == record["licence"]
    assert matches[0]["thumbnail"] == "/bank/" + record["thumbnail"]


@pytest.mark.parametrize("metric", ["cosine", "weighted"])
def test_search_agrees_with_the_bank(client, bank, metric):
    pose = bank.keypoints[7]
    expected_d, expected_i, _ = bank.search(pose, k=10, metric=metric)
    matches = client.post("/api/search", json=body(pose, k=10, metric=metric)).json()["matches"]
    assert [m["id"] for m in matches] == [bank.ids[i] for i in expected_i[0]]
    assert np.allclose([m["distance"] for m in matches], expected_d[0], atol=1e-5)


def test_the_default_likeness_finds_a_mirrored_pose_unasked(client, bank):
    flipped = mirror_keypoints(bank.keypoints[3], image_width=400)
    matches = client.post("/api/search", json=body(flipped, k=3)).json()["matches"]
    assert matches[0]["id"] == bank.ids[3] and matches[0]["mirrored"] is True
    assert matches[0]["distance"] == pytest.approx(0, abs=1e-5)


def test_the_default_answers_a_pose_without_a_torso_as_cosine_does(client, bank):
    """The page sends such poses all the time: likeness keeps cosine's order for them (either
    way round); only metric="torso" refuses them."""
    no_torso = np.array(bank.keypoints[3])
    no_torso[[5, 6, 11, 12], 2] = 0.0
    reply = client.post("/api/search", json=body(no_torso, k=3))
    assert reply.status_code == 200
    cosine = client.post("/api/search", json=body(no_torso, k=3, metric="cosine", mirror=True))
    assert [m["id"] for m in reply.json()["matches"]] == [m["id"] for m in cosine.json()["matches"]]
    assert len(reply.json()["matches"]) == 3
    refused = client.post("/api/search", json=body(no_torso, k=3, metric="torso"))
    assert refused.status_code == 422 and "shoulder or hip" in refused.text
    with client.websocket_connect("/api/stream") as ws:
        ws.send_text(json.dumps({**body(no_torso, k=3), "id": 7}))
        streamed = ws.receive_json()
    assert streamed["id"] == 7 and "error" not in streamed
    assert [m["id"] for m in streamed["matches"]] == [m["id"] for m in cosine.json()["matches"]]


def test_mirror_finds_the_mirrored_pose(client, bank):
    flipped = mirror_keypoints(bank.keypoints[3], image_width=400)
    plain = client.post("/api/search", json=body(flipped, k=3, metric="cosine")).json()["matches"]
    mirrored = client.post("/api/search", json=body(flipped, k=3, metric="cosine",
                                                    mirror=True)).json()["matches"]
    assert mirrored[0]["id"] == bank.ids[3]
    assert mirrored[0]["mirrored"] is True
    assert mirrored[0]["distance"] == pytest.approx(0, abs=1e-4)
    assert plain[0]["distance"] > mirrored[0]["distance"]
    assert not any(m["mirrored"] for m in plain)


def test_thumbnail_of_a_match_is_served(client, query_pose):
    match = client.post("/api/search", json=body(query_pose, k=1)).json()["matches"][0]
    image = client.get(match["thumbnail"])
    assert image.status_code == 200
    assert image.content[:3] == b"\xff\xd8\xff"  # JPEG


@pytest.mark.parametrize("path", [
    "/bank/../manifest.json",
    "/bank/%2e%2e/manifest.json",
    "/bank/thumbs/%2e%2e/manifest.json",
    "/bank/%2fetc%2fpasswd",
    "/bank//etc/passwd",
    "/bank/manifest.json",
    "/bank/thumbs/",
    "/bank/thumbs/nope.jpg",
])
def test_thumbnail_paths_cannot_leave_the_bank(client, path):
    reply = client.get(path)
    assert reply.status_code == 404
    assert b"sha" not in reply.content and b"root:" not in reply.content


@pytest.mark.parametrize("payload, where", [
    ({"keypoints": [[1, 2, 1]] * 16, "width": 10, "height": 10}, "keypoints"),
    ({"keypoints": [[1, 2]] * 17, "width": 10, "height": 10}, "keypoints"),
    ({"keypoints": [[1, 2, 1]] * 17, "width": 0, "height": 10}, "width"),
    ({"keypoints": [[1, 2, 1]] * 17, "width": 10}, "height"),
    ({"keypoints": [[1, 2, 1]] * 17, "width": 10, "height": 10, "k": 500}, "k"),
    ({"keypoints": [[1, 2, 1]] * 17, "width": 10, "height": 10, "metric": "l2"}, "metric"),
    ({"keypoints": [[1, 2, 1]] * 17, "width": 10, "height": 10, "image": "x"}, "image"),
    ({"keypoints": [["a", 2, 1]] * 17, "width": 10, "height": 10}, "keypoints"),
])
def test_wrong_shapes_are_422_naming_the_field(client, payload, where):
    reply = client.post("/api/search", json=payload)
    assert reply.status_code == 422
    assert where in json.dumps(reply.json()["detail"])


@pytest.mark.parametrize("field, value", [
    ("k", "3"), ("k", 3.0), ("k", True), ("mirror", "yes"), ("mirror", "false"), ("mirror", 1),
    ("one_per_frame", "true"), ("one_per_frame", 0), ("width", "640"), ("height", "480"),
])
def test_strings_and_numbers_in_place_of_each_other_are_422_naming_the_field(
        client, query_pose, field, value):
    reply = client.post("/api/search", json=body(query_pose, **{field: value}))
    assert reply.status_code == 422, reply.json()
    assert [problem["loc"] for problem in reply.json()["detail"]] == [["body", field]]


def test_a_string_in_place_of_a_keypoint_number_is_422(client, query_pose):
    payload = body(query_pose)
    payload["keypoints"][3][1] = str(payload["keypoints"][3][1])
    reply = client.post("/api/search", json=payload)
    assert reply.status_code == 422
    assert [problem["loc"] for problem in reply.json()["detail"]] == [["body", "keypoints", 3, 1]]


def test_whole_json_numbers_are_taken_for_float_fields(client, query_pose):
    payload = body(query_pose, k=4)
    payload["keypoints"] = [[round(x), round(y), 1] for x, y, _ in payload["keypoints"]]
    payload["width"], payload["height"] = 640.0, 480
    reply = client.post("/api/search", json=payload)
    assert reply.status_code == 200, reply.json()
    assert len(reply.json()["matches"]) == 4


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_422(client, query_pose, number):
    text = json.dumps(body(query_pose)).replace("640", number, 1)
    reply = client.post("/api/search", content=text,
                        headers={"content-type": "application/json"})
    assert reply.status_code == 422


@pytest.mark.parametrize("number", [1e39, -1e300])
def test_a_keypoint_too_large_for_float32_is_422_naming_it(client, query_pose, number):
    payload = body(query_pose)
    payload["keypoints"][2][0] = number
    reply = client.post("/api/search", json=payload)
    assert reply.status_code == 422
    (problem,) = reply.json()["detail"]
    assert problem["loc"] == ["body", "keypoints", 2, 0] and "too large" in problem["msg"]


def test_the_largest_float32_keypoint_is_taken(client, query_pose):
    payload = body(query_pose)
    payload["keypoints"][2][0] = float(np.finfo(np.float32).max)
    reply = client.post("/api/search", json=payload)
    assert reply.status_code == 200, reply.json()
    assert all(np.isfinite(match["distance"]) for match in reply.json()["matches"])


def test_malformed_json_is_422(client):
    reply = client.post("/api/search", content=b'{"keypoints": [[1,',
                        headers={"content-type": "application/json"})
    assert reply.status_code == 422


def test_absurdly_nested_json_is_a_client_error(client, query_pose):
    reply = client.post("/api/search", content=b"[" * 5000 + b"]" * 5000,
                        headers={"content-type": "application/json"})
    assert 400 <= reply.status_code < 500
    assert client.post("/api/search", json=body(query_pose)).status_code == 200


def test_a_pose_nobody_could_match_is_422_with_the_reason(client):
    empty = np.zeros((17, 3))
    reply = client.post("/api/search", json=body(empty))
    assert reply.status_code == 422
    assert "confident keypoints" in reply.json()["detail"]


def test_oversize_bodies_are_413(client, query_pose):
    big = body(query_pose, id="x" * 40_000)
    assert client.post("/api/search", json=big).status_code == 413

    def chunks():  # no content-length: the guard must count what arrives
        yield b'{"id": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    reply = client.post("/api/search", content=chunks(),
                        headers={"content-type": "application/json"})
    assert reply.status_code == 413


@pytest.mark.parametrize("kind", ["image/jpeg", "multipart/form-data; boundary=x", "text/plain"])
def test_no_endpoint_takes_images(client, kind):
    reply = client.post("/api/search", content=b"\xff\xd8\xff\xe0 not really", headers={
        "content-type": kind})
    assert reply.status_code == 415


def test_openapi_documents_search_stream_and_health(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/health", "/api/stream"} <= set(spec["paths"])
    assert "ws://" in spec["paths"]["/api/stream"]["get"]["description"].lower()
    assert client.get("/docs").status_code == 200


def test_the_version_has_one_source(client):
    from importlib.metadata import version

    import movemirror

    served = client.get("/openapi.json").json()["info"]["version"]
    assert served == movemirror.__version__ == version("movemirror")


def test_the_page_and_its_headers(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "<title>movemirror</title>" in page.text
    csp = page.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "default-src 'self'" in csp


def test_vendor_files_are_allow_listed(client):
    if client.app.state.movemirror.web_modules is None:
        pytest.skip("web/node_modules is not installed (make setup-node)")
    tf = client.get("/vendor/tfjs/tf.es2017.min.js")
    assert tf.status_code == 200 and len(tf.content) > 100_000
    wasm = client.get("/vendor/tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm")
    assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
    model = client.get("/vendor/models/movenet-lightning.json")
    assert model.status_code == 200 and model.json()["format"] == "graph-model"
    for path in ["/vendor/tfjs/package.json", "/vendor/tfjs/../package.json",
                 "/vendor/models/age.json", "/vendor/nope/tf.min.js"]:
        assert client.get(path).status_code == 404, path


def test_a_server_without_browser_packages_still_answers(bank):
    with TestClient(create_app(bank, web_modules=None, limits=Limits())) as client:
        assert client.get("/vendor/tfjs/tf.es2017.min.js").status_code == 404
        assert client.get("/api/health").json()["web_modules"] is False


def test_a_search_flood_gets_429_while_health_answers(bank, query_pose):
    limits = Limits(search_rate_per_second=2, search_burst=5)
    with TestClient(create_app(bank, limits=limits)) as client:
        codes = [client.post("/api/search", json=body(query_pose)).status_code
                 for _ in range(20)]
        assert codes[:5] == [200] * 5
        assert codes.count(429) >= 10
        assert client.get("/api/health").status_code == 200


def test_rate_limiter_refills_and_forgets_idle_clients():
    from movemirror.server.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(rate=10, burst=2, clock=lambda: now[0], max_keys=2)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    now[0] += 0.1  # one token back
    assert limiter.allow("a") and not limiter.allow("a")
    limiter.allow("b")
    now[0] += 1.0
    limiter.allow("c")  # over max_keys: idle, full buckets are dropped
    assert set(limiter._buckets) == {"c"}


def test_worker_processes_build_the_app_from_the_environment(bank_dir, bank, monkeypatch):
    from movemirror.server.app import BANK_ENV, app_from_environment

    monkeypatch.setenv(BANK_ENV, str(bank_dir))
    with TestClient(app_from_environment()) as client:
        health = client.get("/api/health").json()
    assert health["bank_size"] == len(bank)
    assert health["worker"] > 0


def test_a_match_says_where_its_pose_lies_in_its_image(client, bank, query_pose):
    from PIL import Image

    match = client.post("/api/search", json=body(query_pose, k=1)).json()["matches"][0]
    row = bank.ids.index(match["id"])
    with Image.open(io.BytesIO(bank.image(row))) as image:  # the picture, read by row
        size = np.array(image.size, np.float32)
    pose = np.array(match["image_pose"], np.float32)
    assert pose.shape == (17, 3)
    labelled = bank.keypoints[row][:, 2] > 0
    # Fractions of the image that land on the bank's keypoints in the image's pixels.
    assert np.allclose(pose[labelled, :2] * size, bank.keypoints[row][labelled, :2], atol=0.1)
    assert np.array_equal(pose[:, 2], bank.keypoints[row][:, 2])


def test_a_match_without_a_picture_carries_its_keypoints_over_http_and_the_stream(bank,
                                                                                query_pose):
    # A bank built from keypoints alone (as from pose JSON): no picture, no image_pose, so the
    # page can only draw the match from the pose itself.
    from movemirror.bank import PoseBank

    bare = PoseBank.from_keypoints(bank.keypoints, ids=list(bank.ids))
    with TestClient(create_app(bare)) as client:
        rest = client.post("/api/search", json=body(query_pose, k=5)).json()["matches"]
        with client.websocket_connect("/api/stream") as ws:
            ws.send_text(json.dumps(body(query_pose, k=5)))
            streamed = json.loads(ws.receive_text())["matches"]
        spec = client.get("/openapi.json").json()["components"]["schemas"]["Match"]
    assert "keypoints" in spec["properties"]
    assert [m["id"] for m in streamed] == [m["id"] for m in rest]
    for match in (*rest, *streamed):
        assert match["thumbnail"] is None and match["image_pose"] is None
        pose = np.array(match["keypoints"], np.float32)
        assert pose.shape == (17, 3)
        held = bare.keypoints[bare.ids.index(match["id"])]
        assert np.allclose(pose[:, :2], held[:, :2], atol=0.05)  # source pixels, to 0.1 px
        assert np.allclose(pose[:, 2], held[:, 2], atol=0.005)


def test_a_match_with_its_pose_placed_on_its_picture_does_not_repeat_it(client, query_pose):
    # image_pose already gives the pose; its keypoints would add half to every reply.
    matches = client.post("/api/search", json=body(query_pose, k=5)).json()["matches"]
    assert all(m["image_pose"] is not None and m["keypoints"] is None for m in matches)
