"""Every relative link in README.md, CHANGELOG.md and docs/*.md points at a file that exists
and, with a #fragment, at a heading that file has (GitHub's anchors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); the text may wrap onto the next line, the target not.
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a '# comment' in a code block is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        lines.append("" if fenced else line)
    return lines


def github_anchor(heading: str) -> str:
    """GitHub's slug: markdown's backticks and emphasis dropped, lower case, punctuation other
    than '-' and '_' removed, each space a '-'."""
    text = re.sub(r"[`*]", "", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for line in _prose(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match:
            slug = github_anchor(match.group(1))
            n, unique = 0, slug
            while unique in found:  # GitHub numbers repeated headings: x, x-1, x-2
                n += 1
                unique = f"{slug}-{n}"
            found.add(unique)
    return found


def links(page: Path) -> list[str]:
    return LINK.findall("\n".join(_prose(page.read_text(encoding="utf-8"))))


def test_github_anchor_matches_githubs_slugs():
    assert github_anchor("Engines: local, Ray and GPUs") == "engines-local-ray-and-gpus"
    assert (github_anchor("The `torso` distance, and where quality is lost")
            == "the-torso-distance-and-where-quality-is-lost")
    assert github_anchor("Auto's first match and its trials") == "autos-first-match-and-its-trials"
    assert github_anchor("bench_search 2x") == "bench_search-2x"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not checked offline
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading #{fragment} in {linked.name}")
    assert broken == [], "\n".join(broken)


def test_the_readme_has_links_to_check():
    # The check above passes vacuously on a page without links; the README has many.
    assert len(links(ROOT / "README.md")) > 20
