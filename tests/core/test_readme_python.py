"""The README's Python snippets for PoseBank run as written, on real poses: a reader who
copies them, with their names (keypoints, queries, ...) bound to their own data, gets no
error."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _snippets(section: str) -> list[str]:
    """The python blocks of one `## section` of the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return BLOCK.findall(text[start:end if end >= 0 else None])


def test_the_python_section_runs_as_written(penn_valid, tmp_path, monkeypatch):
    # Its lines once could not all run: the second from_keypoints replaced the bank that
    # had a source column, so the later add(meta={"source": ...}) was refused on save.
    keypoints, clips = penn_valid
    in_bank = np.isin(clips, np.unique(clips)[:20])
    names = {
        "keypoints": keypoints[in_bank][:600],
        "ids": [f"pose-{i}" for i in range(600)],
        "paths": [f"clip-{c}.mp4" for c in clips[in_bank][:600]],
        "queries": keypoints[~in_bank][::499][:8],
        "more_keypoints": keypoints[in_bank][600:650],
        "more_ids": [f"more-{i}" for i in range(50)],
        "more_paths": ["more.mp4"] * 50,
    }
    monkeypatch.chdir(tmp_path)
    (snippet,) = _snippets("Python")
    exec(compile(snippet, "README.md (Python)", "exec"), names)  # noqa: S102
    assert len(names["bank"]) == 650 and len(names["older"]) == 600
    assert names["bank"].record(620)["source"] == "more.mp4"
    assert names["found"].indices.shape == (8, 10)


def test_the_movement_search_snippet_runs_as_written(penn):
    clip = penn.clip
    in_bank = clip <= 30
    query = np.flatnonzero(clip == 2000)[:45]  # a test clip's first 1.5 s
    names = {
        "keypoints": penn.keypoints[in_bank], "clip_ids": clip[in_bank],
        "seconds": penn.frame[in_bank] / 30.0,
        "poses": penn.keypoints[query], "times": penn.frame[query] / 30.0,
    }
    (snippet,) = _snippets("Movement search")
    exec(compile(snippet, "README.md (Movement search)", "exec"), names)  # noqa: S102
    assert names["m"].distance >= 0 and str(names["m"].track) in {str(c) for c in range(1, 31)}


@pytest.mark.parametrize("section", ["Python", "Movement search"])
def test_the_sections_hold_one_snippet_each(section):
    assert len(_snippets(section)) == 1
