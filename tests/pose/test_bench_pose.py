"""`movemirror bench pose` end to end on a few real photos: PCK per mode, the ratio to one
pass of Thunder, the left/right-forgiving count, and images per second."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from movemirror.cli.main import app


def test_bench_pose_reports_pck_ratios_and_speed(models_ready, shared, tmp_path):
    shared("lspet")
    result = CliRunner().invoke(app, [
        "bench", "pose", "--start", "5950", "--count", "25", "--models", "thunder",
        "--modes", "fast,crop", "--speed-images", "10", "--parts", "speed,pck",
        "--out", str(tmp_path),
    ], env={"COLUMNS": "40"})  # CliRunner's output is not a terminal: a log, never cut
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "pose.json").read_text())
    pck = {r["mode"]: r for r in report["lspet_pck"]}
    assert set(pck) == {"fast", "crop"}
    assert pck["crop"]["pck"] > pck["fast"]["pck"] > 0.2
    assert pck["fast"]["vs_one_pass_thunder"] == 1.0
    assert pck["crop"]["vs_one_pass_thunder"] == pck["crop"]["pck"] / pck["fast"]["pck"]
    for r in pck.values():
        assert r["pck"] <= r["pck_either_side"] <= 1.0
        assert r["photos"] == 25 and r["joints"] > 200
    assert all(s["images_per_second"] > 0 for s in report["speed"])
    header = next(line for line in result.output.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "model", "mode", "LSPET PCK@0.2", "x one-pass Thunder", "images/s", "TF.js px"]
    rows = {tuple(cell.strip() for cell in line.strip("│").split("│"))[:3]
            for line in result.output.splitlines() if line.startswith("│")}
    assert rows == {("thunder", mode, f"{pck[mode]['pck']:.3f}") for mode in ("fast", "crop")}
