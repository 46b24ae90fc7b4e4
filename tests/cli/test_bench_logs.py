"""The benchmarks' tables in a log (output piped, COLUMNS=40): every header and value whole."""

from __future__ import annotations

import io
import json
import os
import subprocess

import pytest

from movemirror.bank import PoseBank
from movemirror.bench import page as page_bench
from movemirror.bench.server_process import movemirror_command
from movemirror.cli.console import UncutConsole
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError

# UTF-8 whatever the machine's locale, so that rich's box characters and paths decode alike.
PIPED = {**os.environ, "COLUMNS": "40", "PYTHONIOENCODING": "utf-8"}
PIPED.pop("FORCE_COLOR", None)


def movemirror(*args) -> subprocess.CompletedProcess:
    return subprocess.run([movemirror_command(), *map(str, args)], capture_output=True,
                          encoding="utf-8", env=PIPED, timeout=300)


def table_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the one rich table in `text`."""
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    rows = [line for line in lines if line.startswith("│")]
    split = lambda line, bar: [cell.strip() for cell in line.strip(bar).split(bar)]  # noqa: E731
    return split(header, "┃"), [split(row, "│") for row in rows]


def test_bench_serve_table_in_a_log(penn_valid, tmp_path):
    keypoints, _ = penn_valid
    PoseBank.from_keypoints(keypoints[:500]).save(tmp_path / "bank")
    result = movemirror("bench", "serve", "--bank", tmp_path / "bank", "--clients", "1,3",
                        "--rate", "4", "--seconds", "1", "--warmup", "0", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    header, rows = table_cells(result.stdout)
    assert header == ["loop", "clients", "malformed", "target/s", "matches/s", "p50 ms",
                      "p99 ms", "max ms", "least client/s", "superseded", "errors",
                      "unanswered", "server CPU", "server RSS MB", "load CPU", "flood CPU",
                      "other jobs CPU"]
    levels = json.loads((tmp_path / "serve.json").read_text())["levels"]
    assert [row[:5] for row in rows] == [
        [r["loop"], str(r["clients"]), "0", f"{r['clients'] * r['rate_per_client']:,.0f}",
         f"{r['matches_per_second']:,.0f}"] for r in levels]
    assert [row[5:7] for row in rows] == [[f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}"]
                                          for r in levels]
    assert [r["loop"] for r in levels] == ["open", "open", "closed", "closed"]
    assert [row[15] for row in rows] == ["-"] * len(levels)  # no flood
    assert [row[16] for row in rows] == [f"{r['other_cpu_percent']:.0f}%" for r in levels]
    assert any(line.startswith("WebSocket matching (") and line.endswith("the same machine)")
               for line in result.stdout.splitlines())


def test_bench_ingest_table_in_a_log(tmp_path):
    from movemirror.pose import ModelMissingError, model_path

    try:
        dataset_dir("lspet")
        model_path("lightning")
    except (DatasetMissingError, ModelMissingError) as error:
        pytest.skip(str(error))
    result = movemirror("bench", "ingest", "--limit", "3", "--baseline", "0", "--no-videos",
                        "--workers", "1", "--model", "lightning", "--mode", "fast",
                        "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert ("ingestion end to end (lightning, fast mode); other jobs share this machine's cores, "
            "so numbers are noisy") in result.stdout.splitlines()
    header, rows = table_cells(result.stdout)
    assert header == ["run", "engine", "workers", "files", "frames", "entries", "seconds",
                      "frames/s", "vs first", "first result (s)", "frames/s after it",
                      "CPU ms/frame (after first result)", "load avg (1 min)"]
    r = json.loads((tmp_path / "ingest.json").read_text())["photos"]
    assert rows == [["photos", "local", "1", "3", f"{r['frames']:,}", f"{r['entries']:,}",
                     f"{r['seconds']:.1f}", f"{r['frames_per_second']:.1f}", "",
                     f"{r['first_result_seconds']:.1f}", f"{r['steady_frames_per_second']:.1f}",
                     f"{r['cpu_ms_per_frame']:.0f} ({r['cpu_ms_per_frame_after_first']:.0f})",
                     f"{r['load_average'][0]:.2f}"]]
    # One worker runs in the benchmark's own process: all the CPU is its, and each photo
    # after the first cost some of it (Lightning alone takes several ms a photo).
    assert list(r["cpu_seconds_by_process"]) == ["this process"]
    assert 0 < r["cpu_seconds_to_first_result"] < r["cpu_seconds"]
    assert r["cpu_ms_per_frame_after_first"] > 5


def test_bench_page_table_in_a_log(monkeypatch):
    # The page benchmark needs Chromium for minutes; its table is rendered here from the
    # shape run() returns: the main-thread loop and the worker loop of one model, and the
    # page's own choice.
    monkeypatch.setenv("COLUMNS", "40")
    stages = {stage: {"mean": 2.25, "p50": 2.0, "p95": 4.0, "n": 300}
              for stage in page_bench.STAGES}

    def result(requested, model, loop, fps, latency):
        return {"requested_model": requested, "model": model, "loop": loop, "backend": "wasm",
                "frames_per_second": fps, "screen_frames_per_second": 29.96,
                "matches_per_second": 17.0, "latency_p95_ms": latency, "stages_ms": stages,
                "last_pose_ms": 41.6, "seconds_to_first_matches": 3.21}

    measured = {"machine": {"cpus": 2, "load_average": 6.04},
                "results": [result("lightning", "lightning", "main", 16.0, 120.4),
                            result("lightning", "lightning", "worker", 28.0, 71.6),
                            result("auto", "lightning", "worker", 27.5, 70.0)]}
    # A worker loop as it ran: one worker of two WASM threads, the cores it kept busy.
    measured["results"][2] |= {"workers": 1, "backend_details": {"threads": 2},
                               "cores_busy": {"renderer: workers": 1.1, "gpu-process": 0.1,
                                              "renderer: page thread": 0.15, "server": 0.04},
                               "machine_cores_busy": 1.96}
    out = io.StringIO()
    UncutConsole(file=out).print(page_bench.table(measured))
    text = out.getvalue()
    assert "load average 6.0 on 2 cpus" in " ".join(text.split())
    header, rows = table_cells(text)
    assert header == ["model", "loop", "backend", "poses/s", "x main", "screen/s", "matches/s",
                      "p95 latency ms", "grab ms", "wait ms", "resize ms", "infer ms",
                      "transfer ms", "draw ms", "send ms", "first match s", "model cores",
                      "model CPU ms/pose", "page cores besides the model", "machine cores busy",
                      "other jobs' cores"]
    stage_cells = ["2.2"] * len(page_bench.STAGES)
    assert rows == [
        ["lightning", "main", "wasm", "16.0", "1.00", "30.0", "17.0", "120", *stage_cells, "3.2",
         "", "", "", "", ""],
        ["lightning", "worker", "wasm", "28.0", "1.75", "30.0", "17.0", "72", *stage_cells,
         "3.2", "", "", "", "", ""],
        # the page besides the model: the GPU process and the page's thread, not the server;
        # other jobs: the machine's 1.96 less the run's 1.39
        ["auto: lightning", "worker 1x2", "wasm", "27.5", "", "30.0", "17.0", "70", *stage_cells,
         "3.2", "1.10", "40", "0.25", "1.96", "0.57"],
    ]


def test_bench_page_loops_name_workers_and_threads():
    assert page_bench.loop_options("main") == {"loop": "main"}
    assert page_bench.loop_options("worker") == {"loop": "worker"}
    assert page_bench.loop_options("worker:1x2") == {"loop": "worker", "workers": "1",
                                                     "threads": "2"}
    for bad in ("gpu", "main:1x2", "worker:2", "worker:0x1", "worker:ax2"):
        with pytest.raises(ValueError, match="unknown loop"):
            page_bench.loop_options(bad)


def test_bench_page_says_when_the_live_loop_changed_its_workers():
    # Two trials as the page records them (the page's clock, ms): one before the measured
    # seconds began (1 worker kept), one 5.9 s into them (2 kept).
    result = {"requested_model": "lightning", "workers_at_start": 1, "measured_from_ms": 4000.0,
              "worker_count_trials": [
                  {"atMs": 3500.0, "rates": {"1": 26.04, "2": 26.5}, "count": 1},
                  {"atMs": 9900.0, "rates": {"1": 19.66, "2": 27.24}, "count": 2}]}
    assert page_bench.count_summary(result) == (
        "lightning: 1 worker(s) as the measured seconds began; live trials: "
        "at -0.5 s 1 worker(s) 26.0, 2 worker(s) 26.5 poses/s: kept 1; "
        "at 5.9 s 1 worker(s) 19.7, 2 worker(s) 27.2 poses/s: kept 2")
