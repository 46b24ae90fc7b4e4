"""Credit, licence and published-source lines from sidecar files the user supplies.

A sidecar is a CSV with a header (file, credit, licence, source; "path", "license" and "url"
are accepted too) or a JSON object {file: {"credit": ..., "licence": ..., "source": ...}} or a
list of such objects with a "file" key. "source" is what the archive's owner chooses to
publish as the work's origin (a web page, a collection's name): the web app shows it, and
never the file's path on the server. A file entry is a path relative to the sidecar's
folder, an absolute path, or a glob pattern ("*.mp4", "holidays/*"); the most specific match
wins (exact path, then the longest pattern).
"""

from __future__ import annotations

import csv
import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

from movemirror.errors import AttributionError


@dataclass(frozen=True)
class Credit:
    credit: str | None
    licence: str | None
    source: str | None = None  # the origin the owner publishes, e.g. a URL


class Attribution:
    def __init__(self, rules: list[tuple[str, Credit]] | None = None):
        self.rules = rules or []  # (absolute path or pattern, credit)

    @classmethod
    def load(cls, sidecars) -> Attribution:
        rules: list[tuple[str, Credit]] = []
        for sidecar in sidecars:
            rules.extend(read_sidecar(Path(sidecar)))
        return cls(rules)

    def __len__(self) -> int:
        return len(self.rules)

    def lookup(self, path: str | Path) -> Credit | None:
        target = str(Path(path).resolve())
        best, best_rank = None, -1
        for pattern, credit in self.rules:
            if pattern == target:
                return credit
            if fnmatch.fnmatchcase(target, pattern) and len(pattern) > best_rank:
                best, best_rank = credit, len(pattern)
        return best


def read_sidecar(path: Path) -> list[tuple[str, Credit]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise AttributionError(f"{path}: cannot read attribution file: {error}") from error
    rows = _json_rows(path, text) if path.suffix.lower() == ".json" else _csv_rows(path, text)
    base = path.resolve().parent
    rules = []
    for row in rows:
        name = row.get("file") or row.get("path")
        if not name:
            raise AttributionError(f"{path}: an entry has no file name: {row}")
        credit = Credit(_text(row.get("credit")), _text(row.get("licence", row.get("license"))),
                        _text(row.get("source", row.get("url"))))
        rules.append((str(base / name) if not Path(name).is_absolute() else name, credit))
    return rules


def _json_rows(path: Path, text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AttributionError(f"{path}: not valid JSON: {error}") from error
    if isinstance(data, dict):
        data = [{"file": name, **(value if isinstance(value, dict) else {"credit": value})}
                for name, value in data.items()]
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise AttributionError(f"{path}: expected an object or a list of objects")
    return data


def _csv_rows(path: Path, text: str) -> list[dict]:
    reader = csv.DictReader(text.splitlines())
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if not fields & {"file", "path"}:
        raise AttributionError(f"{path}: the CSV needs a header with a 'file' column")
    return [{k.strip().lower(): v for k, v in row.items() if k} for row in reader]


def _text(value) -> str | None:
    return str(value).strip() or None if value is not None else None
