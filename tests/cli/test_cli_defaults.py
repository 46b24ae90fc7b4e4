"""The CLI reads the library's defaults and choices: one home for each, shown in the help."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from movemirror.cli.main import app
from movemirror.index import DEFAULT_INDEX, INDEX_KINDS
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.run import COMMIT_EVERY_SECONDS
from movemirror.ingest.thumbnails import DISPLAY_SIZE
from movemirror.ingest.work import ARCHIVE_MODE, Settings
from movemirror.pose import DEFAULT_MODE, DEFAULT_MODEL, MODELS, MODES
from movemirror.pose.multipose import MAX_PEOPLE

runner = CliRunner()


def _defaults(*path: str) -> dict:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return {param.name: param.default for param in command.params}


def _help(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_index_defaults_are_the_librarys():
    settings, quality = Settings(), QualityFilter()
    got = _defaults("index")
    assert got["model"] == settings.model == DEFAULT_MODEL
    assert got["mode"] == settings.mode == ARCHIVE_MODE in MODES
    assert (got["every_ms"], got["max_people"], got["dedup"], got["thumb"]) == (
        settings.every_ms, settings.max_people, settings.dedup, settings.thumb)
    assert got["thumb_size"] == settings.thumb_size == DISPLAY_SIZE
    assert got["largest_only"] == settings.largest_only
    assert (got["min_score"], got["min_keypoints"], got["full_body"], got["min_size"]) == (
        quality.min_pose_score, quality.min_keypoints, quality.full_body,
        quality.min_person_size)
    assert got["commit_every"] == COMMIT_EVERY_SECONDS


def test_estimate_and_ingestion_keep_their_own_named_modes():
    from movemirror.pose.estimator import PoseEstimator

    got = _defaults("pose")
    assert (got["model"], got["mode"]) == (DEFAULT_MODEL, DEFAULT_MODE)
    assert PoseEstimator().mode == DEFAULT_MODE in MODES and ARCHIVE_MODE in MODES
    help_text = _help("pose")
    assert f"[default: {DEFAULT_MODE}]" in help_text and f"[default: {DEFAULT_MODEL}]" in help_text
    assert f"[default: {ARCHIVE_MODE}]" in _help("index")
    assert f"N [1 to {MAX_PEOPLE}]" in help_text


def test_help_lists_every_model_mode_and_index_kind():
    for command in (("pose",), ("index",), ("bench", "ingest")):
        text = _help(*command)
        assert all(model in text for model in MODELS), command
    for command in (("pose",), ("index",)):
        text = _help(*command)
        assert all(f"{mode} (" in text for mode in MODES), command
    for command in (("serve",), ("bench", "serve")):
        text = _help(*command)
        assert all(kind in text for kind in INDEX_KINDS), command
        assert f"(default: {DEFAULT_INDEX})" in text


def test_movement_search_and_its_benchmark_take_the_librarys_defaults():
    from movemirror.bank import PoseBank
    from movemirror.bench.motion import Plan
    from movemirror.motion.windows import DEFAULT_K

    plan = Plan()
    got = _defaults("bench", "motion")
    assert (got["queries"], got["large"], got["recall_queries"], got["metric"]) == (
        plan.queries, plan.large, plan.recall_queries, plan.metric)
    assert PoseBank.search_motion.__defaults__[0] == DEFAULT_K
    assert f"with --clip, {DEFAULT_K})" in _help("search")


def _commands(command=None, path=()):
    command = command or typer.main.get_command(app)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))
    if not hasattr(command, "commands"):
        yield path, command


def test_every_command_and_options_help_is_shown_whole():
    # Help is rich markup: a "[x, y, score]" left unescaped was read as a tag and vanished
    # (search --clip's help read '"keypoints": [ * 17]').
    for path, command in _commands():
        shown = _help(*path).replace("│", " ")
        shown = " ".join(shown.split())
        helps = [(param.name, param.help) for param in command.params  # type: ignore
                 if getattr(param, "help", None)]
        for name, text in [("the command", command.help), *helps]:
            expected = " ".join(text.replace("\\[", "[").split())
            assert expected in shown, (path, name)
