"""`movemirror bench quality-video` end to end on the clip's first frames, through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from movemirror.bench.quality_video import VARIANTS, changes, runs_of, variant_queries
from movemirror.cli.main import app


def test_runs_restart_at_frames_the_page_would_not_match():
    matched = np.array([True, True, False, True, False, False, True])
    assert runs_of(matched) == [(0, 2), (3, 4), (6, 7)]
    raw = np.zeros((7, 17, 3), np.float32)
    raw[:, :, 0] = np.arange(7)[:, None] * 30.0
    raw[:, :, 2] = 1.0
    smoothed = variant_queries("consensus-3", raw, matched, 576, 576)
    # Frame 3 starts a new run: its consensus is itself, not frames 1 and 2.
    np.testing.assert_array_equal(smoothed[3], raw[3])
    assert smoothed[1, 0, 0] == raw[0, 0, 0]  # lower median of frames 0 and 1
    assert changes(np.array([5, 5, 7, -1, 7, 7])) == (1, 3)


def test_bench_quality_video_on_a_few_frames(tmp_path):
    from movemirror.datasets import DatasetMissingError, dataset_dir
    from movemirror.pose import ModelMissingError, model_path

    try:
        dataset_dir("lspet"), dataset_dir("tfjs-pose-detection-testdata")
        model_path("lightning")
    except (DatasetMissingError, ModelMissingError) as error:
        pytest.skip(str(error))
    result = CliRunner().invoke(app, ["bench", "quality-video", "--frames", "6", "--archive",
                                      "300", "--archive-side", "truth", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "quality-video.json").read_text())
    by_variant = {r["variant"]: r for r in results["results"]}
    assert tuple(by_variant) == VARIANTS
    for r in by_variant.values():
        assert r["answered"] == 6 and r["answered_pairs"] == 5
        assert 0 <= r["top_changes"] <= 5
        # A person standing in the clip finds a photo much closer than chance.
        assert 0.2 < r["gap"]["limb"] <= 1 and 0.2 < r["gap"]["joint"] <= 1


def test_bench_quality_video_refuses_a_bad_archive_side(tmp_path):
    result = CliRunner().invoke(app, ["bench", "quality-video", "--archive-side", "nonsense",
                                      "--out", str(tmp_path)])
    assert result.exit_code != 0
