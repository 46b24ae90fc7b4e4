"""Fixtures for the match-quality tests: LSPET's real annotations."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.datasets import DatasetMissingError, dataset_dir


@pytest.fixture(scope="session")
def lspet_truths() -> np.ndarray:
    """The first 300 LSPET annotations as poses (17, 3), score 1 where annotated."""
    from movemirror.bench.quality_side_poses import truth_pose
    from movemirror.datasets.lspet import load_lspet

    try:
        root = dataset_dir("lspet")
    except DatasetMissingError as error:
        pytest.skip(str(error))
    return np.stack([truth_pose(s.joints) for s in load_lspet(root, limit=300)])
