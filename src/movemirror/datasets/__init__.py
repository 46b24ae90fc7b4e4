"""Loaders for the real data in ../shared/data (never copied into the repository)."""

from __future__ import annotations

import os
from pathlib import Path

from movemirror.errors import DatasetMissingError

_REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path:
    """Where the shared data lives: $MOVEMIRROR_DATA, else ../shared/data beside the repo."""
    return Path(os.environ.get("MOVEMIRROR_DATA", _REPO_ROOT.parent / "shared" / "data"))


def dataset_dir(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_dir():
        raise DatasetMissingError(
            f"data set {name!r} not found at {path}; put the shared data beside the repository "
            "(../shared/data) or set MOVEMIRROR_DATA"
        )
    return path


def cache_dir() -> Path:
    path = Path(os.environ.get("MOVEMIRROR_HOME", Path.home() / ".cache" / "movemirror"))
    path.mkdir(parents=True, exist_ok=True)
    return path
