"""`movemirror bench bank` on a small plan: real poses and pictures, figures that hold."""

from __future__ import annotations

import json

import pytest

from movemirror.errors import DatasetMissingError


def test_bench_bank_measures_an_append_against_a_whole_write(tmp_path):
    from movemirror.bench import bank as bank_bench

    plan = bank_bench.Plan(size=20_000, append=200, appends=3, repeats=2, picture_bank=300,
                           reads=30, photos=10, picture_side=160)
    lines: list[str] = []
    try:
        results = bank_bench.run(plan, tmp_path, report=lines.append)
    except DatasetMissingError as error:
        pytest.skip(str(error))
    assert results.poses == 20_000 and results.disk_bytes > 20_000 * 4 * (51 + 52)
    assert 0 < results.append_seconds and 0 < results.append_share < 1
    assert results.load_seconds > 0 and results.records_seconds > 0
    # Distinct pictures are stored whole: the folder holds at least their bytes.
    assert results.picture_bank_bytes >= 300 * results.picture_bytes_mean > 300 * 1000
    assert 0 < results.picture_ms_median <= results.picture_ms_p95
    assert list(tmp_path.iterdir()) == []  # its banks are removed
    assert sum(line.startswith("appended 200 poses") for line in lines) == 1 + 3
    assert 0 < results.commit_seconds <= results.append_seconds  # each save is in its append
    assert len(results.load_average) == 2 and min(results.load_average) >= 0
    bank_bench.write_json(results, plan, tmp_path / "out" / "bank.json")
    saved = json.loads((tmp_path / "out" / "bank.json").read_text())
    assert saved["plan"]["size"] == 20_000 and saved["results"]["poses"] == 20_000
    assert "load_average" in saved["machine"]
