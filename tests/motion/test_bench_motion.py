"""The movement benchmark: its split, its enlarged banks of whole clips, a small run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from movemirror.bench.motion import Plan, run, write_json
from movemirror.bench.motion_data import enlarged, movements, split_clips
from movemirror.cli.main import app
from movemirror.cli.motion_tables import agreement_table, timing_table
from movemirror.datasets.penn_action import FPS


def test_bank_and_queries_come_from_penn_actions_own_split(penn):
    train, test = split_clips(penn)
    assert not set(train.clip) & set(test.clip)
    # 2 of the 1,068 test clips have no frame with 5 labelled joints
    assert len(np.unique(train.clip)) == 1258 and len(np.unique(test.clip)) == 1066
    assert 80_000 <= len(train.keypoints) <= 90_000
    queries = movements(test, 50, 2.0, seed=3)
    assert len(queries) == 50 and len({q.clip for q in queries}) == 50
    for query in queries:
        assert query.clip in set(test.clip) and query.action == test.action[query.clip]
        assert len(query.poses) == 61 and np.diff(query.times) == pytest.approx(1 / FPS)


def test_an_enlarged_bank_copies_whole_clips_with_their_times(penn):
    train, _ = split_clips(penn)
    first = np.isin(train.clip, np.unique(train.clip)[:30])
    from movemirror.bench.motion_data import Clips

    clips = Clips(train.keypoints[first], train.clip[first], train.times[first], train.action)
    keypoints, meta = enlarged(clips, 3 * len(clips.keypoints) + 10, seed=2)
    n = len(clips.keypoints)
    assert len(keypoints) == len(meta["track"]) == len(meta["frame_time"]) == 3 * n + 10
    np.testing.assert_array_equal(keypoints[:n], clips.keypoints)
    assert meta["track"][n] == f"{clips.clip[0]}+1" and meta["track"][2 * n] == f"{clips.clip[0]}+2"
    np.testing.assert_array_equal(meta["frame_time"][n:2 * n], clips.times)
    # A copy is one similarity transform (maybe mirrored) of its whole clip: every frame's
    # pairwise keypoint distances (blind to which keypoint is which) scale by one factor.
    rows = np.flatnonzero(clips.clip == clips.clip[0])

    def spread(poses):
        xy = poses[:, :, :2].astype(np.float64)
        return np.linalg.norm(xy[:, :, None] - xy[:, None], axis=3).sum(axis=(1, 2))

    ratio = spread(keypoints[n + rows]) / spread(clips.keypoints[rows])
    assert np.ptp(ratio) < 1e-4 * ratio.mean() and 0.8 - 1e-4 <= ratio[0] <= 1.25 + 1e-4


def test_a_small_run_measures_both_methods_on_every_variant(tmp_path):
    plan = Plan(queries=25, large=0, recall_queries=1, paces=(0.75,))
    lines = []
    results = run(plan, report=lines.append)
    assert results.queries == 25 and results.bank_tracks == 1258
    variants = [(a.variant, a.method) for a in results.agreement]
    assert variants == [(v, m) for v in ("as performed", "mirrored", "at 0.75x")
                        for m in ("movement", "still")]
    for a in results.agreement:
        assert 0 <= a.top1 <= a.top5 <= 1 and a.queries == 25
    still = {a.variant: a for a in results.agreement if a.method == "still"}
    paced, performed = still["at 0.75x"], still["as performed"]  # pace: same middle pose
    assert (paced.top1, paced.top5) == (performed.top1, performed.top5)
    (timing,) = results.timing
    assert timing.poses == results.bank_poses and 0 < timing.p50_ms <= timing.p99_ms
    assert timing.memory_bytes > timing.poses * 52 * 4  # the vectors and the tree
    assert results.recall is not None and 0 <= results.recall.recall_at_5 <= 1
    assert results.recall.distance_ratio_5th >= 1 - 1e-9  # never better than exhaustive
    assert any("movement top-1" in line for line in lines)
    write_json(results, plan, tmp_path / "motion.json")
    payload = json.loads((tmp_path / "motion.json").read_text())
    assert payload["results"]["agreement"][0]["top1"] == results.agreement[0].top1
    assert agreement_table(results).row_count == 3 and timing_table(results).row_count == 1


def test_the_command_refuses_bad_options():
    result = CliRunner().invoke(app, ["bench", "motion", "--queries", "0"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["bench", "motion", "--metric", "manhattan"])
    assert result.exit_code == 2
    assert "--metric takes cosine or weighted, not 'manhattan'" in result.output
