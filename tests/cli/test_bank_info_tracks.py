"""`movemirror bank info`'s tracks line reads as English for one moving track and for several."""

from __future__ import annotations

import io

import numpy as np

from movemirror import PoseBank
from movemirror.cli import bank as bank_cli
from movemirror.cli.console import UncutConsole


def _tracks_line(monkeypatch, tracks: list[str | None], times: list[float | None]) -> str:
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(10, 200, (len(tracks), 17, 3))
    keypoints[..., 2] = 0.9
    bank = PoseBank.from_keypoints(keypoints, meta={"track": tracks, "frame_time": times})
    out = io.StringIO()
    monkeypatch.setattr(bank_cli, "console", UncutConsole(file=out))
    bank_cli.print_tracks(bank)
    return out.getvalue().strip()


def test_one_moving_track_takes_part(monkeypatch):
    line = _tracks_line(monkeypatch, ["a", "a", "a", None], [0.0, 0.5, 1.0, None])
    assert line == ("tracks: 2; 1 of two timed poses or more (3 poses, 1.0 s in all) takes part "
                    "in movement search")


def test_two_moving_tracks_take_part(monkeypatch):
    line = _tracks_line(monkeypatch, ["a", "a", "b", "b"], [0.0, 0.5, 0.0, 2.0])
    assert line == ("tracks: 2; 2 of two timed poses or more (4 poses, 2.5 s in all) take part "
                    "in movement search")


def test_a_bank_of_one_pose_reads_as_english(tmp_path):
    from typer.testing import CliRunner

    from movemirror.cli.main import app

    keypoints = np.random.default_rng(1).uniform(10, 200, (1, 17, 3))
    keypoints[..., 2] = 0.9
    PoseBank.from_keypoints(keypoints).save(tmp_path / "one")
    result = CliRunner().invoke(app, ["bank", "info", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{tmp_path / 'one'}: 1 pose\n")  # once "1 poses"
