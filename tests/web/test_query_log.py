"""The opt-in query log: real searches over the stream and POST logged as keypoints, the minute,
the best distance and the metric (nothing else), nothing logged unless asked, rows flushed at
shutdown, and the log read back by `coverage --against`."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from movemirror.cli.main import app as cli
from movemirror.errors import QueryLogError
from movemirror.server import create_app
from movemirror.server.query_log import PART_GLOB, QueryLog, read_query_log

runner = CliRunner()
COLUMNS = {"minute", "keypoints", "best_distance", "metric"}


def body(pose, **options) -> dict:
    return {"keypoints": np.asarray(pose).tolist(), "width": 640, "height": 480, **options}


def search_both_ways(client, bank) -> list[dict]:
    """Three searches over the stream and two POSTs; returns each one's best match."""
    best = []
    with client.websocket_connect("/api/stream") as ws:
        for i in (3, 7, 12):
            ws.send_text(json.dumps(body(bank.keypoints[i], id=i, k=2, metric="cosine")))
            reply = json.loads(ws.receive_text())
            assert reply["type"] == "matches"
            best.append(reply["matches"][0])
    for i in (5, 20):
        reply = client.post("/api/search", json=body(bank.keypoints[i], k=2, metric="weighted"))
        assert reply.status_code == 200, reply.text
        best.append(reply.json()["matches"][0])
    return best


def test_searches_over_the_stream_and_post_are_logged_as_keypoints_only(bank, tmp_path):
    folder = tmp_path / "log"
    with TestClient(create_app(bank, query_log=QueryLog(folder))) as client:
        assert client.get("/api/health").json()["query_log"] is True
        best = search_both_ways(client, bank)
        assert not list(folder.glob(PART_GLOB))  # buffered until shutdown
    parts = list(folder.glob(PART_GLOB))
    assert len(parts) == 1
    table = pq.read_table(parts[0])
    assert set(table.column_names) == COLUMNS  # no address, no image, no query id
    logged = read_query_log(folder)
    searched = bank.keypoints[[3, 7, 12, 5, 20]]
    np.testing.assert_array_equal(logged.keypoints, searched.astype(np.float32))
    assert logged.metrics == ["cosine"] * 3 + ["weighted"] * 2
    np.testing.assert_allclose(logged.best_distances, [b["distance"] for b in best], atol=1e-5)
    seconds = logged.minutes.astype(np.int64)
    assert np.all(seconds % 60 == 0)
    now = np.datetime64("now", "s").astype(np.int64)
    assert np.all((now - seconds >= 0) & (now - seconds < 180))


def test_the_log_is_off_by_default(bank, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with TestClient(create_app(bank)) as client:
        assert client.get("/api/health").json()["query_log"] is False
        search_both_ways(client, bank)
    assert list(tmp_path.rglob("*")) == []


def test_rows_are_written_every_n_rows_and_at_shutdown(bank, tmp_path):
    folder = tmp_path / "log"
    log = QueryLog(folder, flush_rows=2)
    with TestClient(create_app(bank, query_log=log)) as client:
        search_both_ways(client, bank)  # 5 searches: two parts of 2 while serving
        assert len(list(folder.glob(PART_GLOB))) == 2
    parts = sorted(folder.glob(PART_GLOB))
    assert [pq.read_metadata(p).num_rows for p in parts] == [2, 2, 1]
    assert len(read_query_log(folder).keypoints) == 5
    assert not list(folder.glob(".*.tmp"))  # each part written whole, by rename


def test_rows_are_written_after_flush_seconds(query_pose, tmp_path):
    now = [1_000_000.0]
    log = QueryLog(tmp_path / "log", flush_seconds=60, clock=lambda: now[0])
    log.record(query_pose, [], "cosine")
    assert not list((tmp_path / "log").glob(PART_GLOB))
    now[0] += 61
    log.record(query_pose, [], "cosine")
    logged = read_query_log(tmp_path / "log")
    assert len(logged.keypoints) == 2
    assert np.isnan(logged.best_distances).all()  # no match: null, read as NaN
    assert logged.minutes.astype(np.int64).tolist() == [999_960, 1_000_020]


def test_a_log_that_is_a_file_or_unreadable_gets_a_clear_error(bank_dir, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(QueryLogError, match="is a file"):
        QueryLog(tmp_path / "file")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "part-1-ab-000000.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(QueryLogError, match="part-1-ab-000000.parquet"):
        read_query_log(bad)
    result = runner.invoke(cli, ["coverage", "--bank", str(bank_dir), "--against", str(bad),
                                 "--out", str(tmp_path / "r.html"), "--map", "pca"])
    assert result.exit_code == 1
    assert "part-1-ab-000000.parquet: not a readable query log part" in result.output
    assert not (tmp_path / "r.html").exists()


def test_coverage_takes_the_log_as_its_reference(bank, bank_dir, tmp_path):
    folder = tmp_path / "log"
    with TestClient(create_app(bank, query_log=QueryLog(folder))) as client:
        search_both_ways(client, bank)
    out = tmp_path / "report.html"
    result = runner.invoke(cli, ["coverage", "--bank", str(bank_dir), "--against", str(folder),
                                 "--out", str(out), "--map", "pca"])
    assert result.exit_code == 0, result.output
    # the logged poses are bank poses, so none of them is a hole
    assert re.search(r"holes: 0 of 5 reference poses", result.output), result.output
    assert out.is_file()
