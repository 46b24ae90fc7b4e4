"""`movemirror bank info`'s tracks line reads as English for one moving track, for several,
and for a bank of photos, where none moves."""

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
    assert line == "tracks: 2; 1 moves (3 poses, 1.0 s in all) and takes part in movement search"


def test_two_moving_tracks_take_part(monkeypatch):
    line = _tracks_line(monkeypatch, ["a", "a", "b", "b"], [0.0, 0.5, 0.0, 2.0])
    assert line == "tracks: 2; 2 move (4 poses, 2.5 s in all) and take part in movement search"


def test_a_bank_of_photos_says_that_none_moves_and_what_would(monkeypatch):
    # Once "tracks: 3; 0 of two timed poses or more (0 poses, 0.0 s in all) take part in
    # movement search".
    line = _tracks_line(monkeypatch, [None, None, None], [None, None, None])
    assert line == ("tracks: 3; none moves (movement search needs tracks of two timed poses "
                    "or more: a person followed through a video)")


def test_single_timed_poses_do_not_move_either(monkeypatch):
    line = _tracks_line(monkeypatch, ["a", "b", None], [0.0, 0.5, None])
    assert line.startswith("tracks: 3; none moves (")


def test_a_bank_of_one_pose_reads_as_english(tmp_path):
    from typer.testing import CliRunner

    from movemirror.cli.main import app

    keypoints = np.random.default_rng(1).uniform(10, 200, (1, 17, 3))
    keypoints[..., 2] = 0.9
    PoseBank.from_keypoints(keypoints).save(tmp_path / "one")
    result = CliRunner().invoke(app, ["bank", "info", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{tmp_path / 'one'}: 1 pose\n")  # once "1 poses"
