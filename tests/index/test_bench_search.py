"""The search benchmark's data: held-out clips, enlarged banks, and a quick end-to-end run."""

import json
import shutil

import numpy as np
from typer.testing import CliRunner

from movemirror.bench.search_data import bank_vectors, similarity_transform, split_by_clip
from movemirror.cli.main import app
from movemirror.vectors import XY, to_vectors


def test_queries_come_from_clips_outside_the_bank(penn_valid):
    keypoints, clips = penn_valid
    few = np.isin(clips, np.unique(clips)[:60])
    split = split_by_clip(keypoints[few], clips[few], held_out_poses=500, queries=100)
    assert len(split.query_vectors) == len(split.query_clips) == 100
    assert not set(split.query_clips) & set(split.bank_clips)
    held_out = len(set(split.query_clips))
    assert 1 <= held_out <= split.held_out_clips < 60
    assert len(split.bank_poses) + np.isin(clips[few], split.query_clips).sum() <= few.sum()
    assert len(split.bank_poses) >= few.sum() - 500 - np.bincount(clips[few]).max()


def test_enlarged_bank_is_real_poses_then_transformed_copies(penn_valid):
    keypoints, _ = penn_valid
    real = keypoints[:1000]
    vectors, synthetic = bank_vectors(real, 2500, seed=1)
    assert synthetic and vectors.shape == (2500, 52)
    np.testing.assert_array_equal(vectors[:1000], to_vectors(real))
    np.testing.assert_allclose(np.linalg.norm(vectors[:, XY], axis=1), 1.0, atol=1e-5)
    assert len(np.unique(vectors[1000:], axis=0)) == 1500  # copies, but not identical ones
    small, synthetic = bank_vectors(real, 300)
    assert not synthetic and len(small) == 300


def test_similarity_transform_keeps_scores_and_distances_between_keypoints_scaled(penn_valid):
    keypoints, _ = penn_valid
    poses = keypoints[:50]
    moved = similarity_transform(poses, np.random.default_rng(0))
    np.testing.assert_array_equal(moved[..., 2], poses[..., 2])
    before = np.linalg.norm(poses[:, 5, :2] - poses[:, 12, :2], axis=1)
    after = np.linalg.norm(moved[:, 5, :2] - moved[:, 12, :2], axis=1)
    ratio = after / before
    assert ((ratio > 0.79) & (ratio < 1.26)).all()


def test_quick_bench_writes_results_and_chart(penn, tmp_path):
    result = CliRunner().invoke(app, ["bench", "search", "--quick", "--out", str(tmp_path)],
                                env={"COLUMNS": "40"})  # not a terminal: a log, never cut
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "search.json").read_text())
    methods = {(r["metric"], r["method"]) for r in data["results"]}
    expected = {(m, k) for m in ("cosine", "weighted", "torso")
                for k in ("brute", "boxtree", "vptree")}
    if shutil.which("node"):
        expected.add(("cosine", "vptree.js"))
    assert methods == expected
    for r in data["results"]:
        if r["method"] not in ("vptree", "vptree.js") or r["metric"] == "cosine":
            assert r["recall_at_10"] == 1.0, r
        # PoseBank.search on one pose in pixels is timed for ours only, and costs a few
        # microseconds over the index alone (bounded loosely: the machine is shared).
        if r["method"] == "boxtree" and r["metric"] != "torso":
            assert 0 < r["end_to_end_p50_us"] < 10 * r["p50_us"], r
            assert len(r["end_to_end_turn_p50s_us"]) == 6, r
        else:
            assert r["end_to_end_p50_us"] is None
        # Single queries timed in the plan's 6 turns (brute force's fewer, where its time
        # budget ran out), the JS tree's too.
        turns = r["turn_p50s_us"]
        assert 1 <= len(turns) <= 6 and min(turns) > 0, r
        if r["method"] != "brute":
            assert len(turns) == 6 and r["single_queries"] == min(100, r["batch_queries"]), r
    assert (tmp_path / "search.png").read_bytes()[:4] == b"\x89PNG"
    # The default search, likeness, timed beside cosine in the same rounds (the 2x).
    [likeness] = data["likeness"]
    assert likeness["bank_poses"] == 20_000 and likeness["queries"] >= 50
    assert 1.0 < likeness["ratio"]["likeness"] < 4.0, likeness
    assert any(line.strip().startswith("20,000 likeness") and "x" in line
               for line in result.output.splitlines())
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "bank", "metric", "method", "build", "memory (x raw)", "p50", "p99", "turns' p50",
        "one pose end to end p50 (turns')", "batch q/s", "recall@10",
        "ours faster than this (p50)"]
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in lines
            if line.startswith("│")]
    assert [(row[1], row[2].removesuffix(" (ours)"), row[5], row[7]) for row in rows] == [
        (r["metric"], r["method"], f"{r['p50_us']:,.1f} us",
         f"{min(r['turn_p50s_us']):,.1f}-{max(r['turn_p50s_us']):,.1f} us")
        for r in data["results"]]
