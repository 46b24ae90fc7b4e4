"""Every command that prints file names, run as a user would with its output piped into a log
(the installed `movemirror` command, COLUMNS=40) on paths over 150 characters with spaces and
brackets: every path, reason and number comes out whole, on one line."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.bench.server_process import movemirror_command
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError
from movemirror.ingest.ledger import TABLE
from movemirror.ingest.report import skipped_files

# UTF-8 whatever the machine's locale, so that rich's box characters and paths decode alike.
PIPED = {**os.environ, "COLUMNS": "40", "PYTHONIOENCODING": "utf-8"}
PIPED.pop("FORCE_COLOR", None)
PIPED.pop("TTY_COMPATIBLE", None)


def movemirror(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command with stdout and stderr piped, as `movemirror ... > log 2>&1` has them."""
    return subprocess.run([movemirror_command(), *map(str, args)], capture_output=True,
                          encoding="utf-8", env=PIPED, timeout=timeout)


def long_folder(root: Path) -> Path:
    folder = root
    while len(str(folder)) <= 160:
        folder = folder / "a folder with a long name, spaces [and brackets]"
    return folder


@dataclass
class Archive:
    folder: Path
    bank: Path
    photos: list[Path]
    bad: dict[Path, str]  # bad file -> the start of its reason
    index: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    from movemirror.pose import ModelMissingError, model_path

    try:
        images = sorted((dataset_dir("lspet") / "images").glob("*.jpg"))[:4]
        model_path("lightning")
        model_path("multipose")
    except (DatasetMissingError, ModelMissingError) as error:
        pytest.skip(str(error))
    folder = long_folder(tmp_path_factory.mktemp("cli"))
    (folder / "photos").mkdir(parents=True)
    (folder / "bad").mkdir()
    photos = []
    for i, image in enumerate(images):
        photos.append(folder / "photos" / f"photo {i} of someone [{image.stem}].jpg")
        shutil.copy(image, photos[-1])
    bad = {folder / "bad" / "an empty file.jpg": "empty file",
           folder / "bad" / "not a photo [draft].jpg": "not an image",
           folder / "bad" / "truncated photo.jpg": "cannot decode image"}
    jpeg = images[0].read_bytes()
    for path, content in zip(bad, (b"", b"this is not a photo\n", jpeg[: len(jpeg) // 3]),
                             strict=True):
        path.write_bytes(content)
    bank = folder / "bank [test]"
    index = movemirror("index", folder / "photos", folder / "bad", "--bank", bank,
                       "--model", "lightning", "--mode", "fast", "--max-people", "1",
                       "--workers", "1")
    assert index.returncode == 0, index.stderr
    return Archive(folder, bank, photos, bad, index)


def _uncut(text: str) -> None:
    assert "…" not in text and "\x1b[" not in text  # no ellipsis, no terminal codes


def test_index_in_a_log_lists_every_skipped_file_whole_with_its_reason(archive):
    assert len(str(archive.folder)) > 150
    out = archive.index.stdout
    _uncut(out)
    lines = out.splitlines()
    for path, reason in archive.bad.items():
        assert any(line.startswith(f"{path}: {reason}") for line in lines), path
    assert any(line.startswith(f"{archive.bank}: ") and "entries added" in line
               for line in lines)
    # Plain progress, not a bar redrawn into the log.
    assert lines[0].startswith(f"indexing: {len(archive.photos) + 1} files, ")
    assert "━" not in out


def test_bank_info_in_a_log_names_the_bank_and_how_to_list_every_skipped_file(archive):
    info = movemirror("bank", "info", archive.bank)
    assert info.returncode == 0, info.stderr
    _uncut(info.stdout)
    poses = len(PoseBank.load(archive.bank))
    assert any(line.startswith(f"{archive.bank}: {poses:,} poses from ")
               for line in info.stdout.splitlines())
    assert f"movemirror bank info {archive.bank} --skipped" in info.stdout
    # One truncated photo: counted in the singular.
    assert any(line.startswith("  1 file gave no entry: cannot decode image")
               for line in info.stdout.splitlines())


def test_bank_info_counts_the_files_of_its_poses_as_its_ledger_does(archive):
    # Once "sources: 3 files" beside "indexed files: 5 (5 photos): 1 empty, 3 indexed, 1
    # skipped", and "sources: 0 files" beside "indexed files: 2" when every file gave nothing.
    info = movemirror("bank", "info", archive.bank)
    assert info.returncode == 0, info.stderr
    bank = PoseBank.load(archive.bank)
    sources = set(bank.records.column("source").to_pylist())
    read = set(bank.tables[TABLE].column("path").to_pylist())
    assert sources < read  # the truncated photo was read and gave nothing
    lines = info.stdout.splitlines()
    assert f"{archive.bank}: {len(bank):,} poses from {len(sources)} files" in lines
    ledger_line = next(line for line in lines if line.startswith("files read by index: "))
    assert ledger_line.startswith(f"files read by index: {len(read)} (")
    assert f"): {len(sources)} indexed, " in ledger_line


def test_bank_info_skipped_lists_every_file_that_gave_no_entry_and_writes_the_csv(archive):
    table = archive.folder / "skipped [all].csv"
    listed = movemirror("bank", "info", archive.bank, "--skipped", "--csv", table)
    assert listed.returncode == 0, listed.stderr
    _uncut(listed.stdout)
    bank = PoseBank.load(archive.bank)
    ledger = bank.tables[TABLE]
    # Independently of the report: the files the ledger saw, less those the bank has poses of.
    gave_none = set(ledger.column("path").to_pylist()) - set(
        bank.records.column("source").to_pylist())
    assert str(next(p for p, r in archive.bad.items() if r == "cannot decode image")) in gave_none
    lines = listed.stdout.splitlines()
    assert len(lines) == len(gave_none)
    assert {line.split(": ", 1)[0] for line in lines} == gave_none
    assert lines == [f"{f.path}: {f.reason}" for f in skipped_files(ledger)]
    with open(table, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [f"{row['path']}: {row['reason']}" for row in rows] == lines
    assert {row["status"] for row in rows} <= {"skipped", "empty"}
    assert f"wrote {len(rows)} skipped files to {table}" in listed.stderr


def test_bank_info_csv_where_it_cannot_be_written_is_a_one_line_error(archive):
    for table in (archive.photos[0] / "skipped.csv",  # a file where its folder would be
                  archive.folder / "photos"):  # a folder
        listed = movemirror("bank", "info", archive.bank, "--skipped", "--csv", table)
        assert listed.returncode == 1, listed.stderr
        assert "Traceback" not in listed.stderr
        assert listed.stderr.startswith(f"error: {table}: cannot write the CSV: "), listed.stderr
        assert len(listed.stderr.splitlines()) == 1 and not listed.stdout


def test_bank_info_skipped_needs_a_ledger(tmp_path):
    from movemirror.cli.main import app

    lspet_like = np.tile(np.array([[100.0, 100.0, 0.9]], np.float32), (17, 1))
    lspet_like[:, 0] += np.arange(17) * 7
    lspet_like[:, 1] += np.arange(17) ** 1.5
    PoseBank.from_keypoints(lspet_like[None]).save(tmp_path / "bank")
    result = CliRunner().invoke(app, ["bank", "info", str(tmp_path / "bank"), "--skipped"])
    assert result.exit_code == 1 and "no ledger" in result.output


def test_pose_in_a_log_prints_whole_paths_for_poses_and_errors(archive):
    photo, bad = archive.photos[0], next(iter(p for p in archive.bad if "draft" in p.name))
    result = movemirror("pose", photo, bad, "-m", "lightning", "--mode", "fast")
    assert result.returncode == 1  # one image could not be read
    _uncut(result.stdout + result.stderr)
    assert any(line.startswith(f"{photo}: person 1, score") for line in result.stdout.splitlines())
    assert f"error: {bad}: not a readable image" in result.stderr


def test_search_in_a_log_prints_whole_sources(archive):
    bank = PoseBank.load(archive.bank)
    query = archive.folder / "query pose.json"
    query.write_text(json.dumps({"keypoints": bank.keypoints[0].tolist()}))
    result = movemirror("search", "--bank", archive.bank, query, "-k", "1")
    assert result.returncode == 0, result.stderr
    _uncut(result.stdout)
    source = bank.record(0)["source"]
    assert len(source) > 150
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ 1 "))
    assert source in row and "0.0000" in row
