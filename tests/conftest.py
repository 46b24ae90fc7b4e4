"""Shared fixtures: real data from ../shared/data (skipped with the reason when absent)."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.errors import DatasetMissingError


@pytest.fixture(scope="session")
def penn():
    from movemirror.datasets.penn_action import load_penn_action

    try:
        return load_penn_action()
    except DatasetMissingError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def penn_valid(penn):
    """Penn Action poses that can be vectorised (all but two), with their clips."""
    from movemirror.vectors import pose_problems

    ok = np.array([p is None for p in pose_problems(penn.keypoints)])
    return penn.keypoints[ok], penn.clip[ok]


@pytest.fixture(scope="session", autouse=True)
def compiled_vectorisation():
    """Load movemirror.vectors' compiled pass (numba, ~0.4 s from its cache) before any test,
    so property tests with deadlines do not count it against their first example."""
    from movemirror.vectors import to_vectors

    pose = np.zeros((17, 3), np.float32)
    pose[:, 0] = np.arange(17)
    pose[:, 2] = 1
    to_vectors(pose)
