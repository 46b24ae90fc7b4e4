"""Fixtures for the pose tests: real data from ../shared/data and the converted models."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
DATA = REPO / ".." / "shared" / "data"


def data_path(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found: {path} (put the shared data beside the repo)")
    return path


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared():
    """shared("lspet", "joints.mat") -> the path, or a skip naming what is missing."""
    return data_path


@pytest.fixture(scope="session")
def models_ready():
    """Skip (saying what to run) when `make setup-models` has not been run."""
    from movemirror.pose import MODELS, ModelMissingError, model_path

    try:
        for name in MODELS:
            model_path(name)
    except ModelMissingError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def thunder(models_ready):
    from movemirror.pose import PoseEstimator

    return PoseEstimator("thunder").load()


@pytest.fixture(scope="session")
def pose_jpg() -> Path:
    return data_path("tfjs-pose-detection-testdata", "pose.jpg")


@pytest.fixture(scope="session")
def pck_of():
    """pck_of(estimator, lspet_samples) -> PCK@0.2 of the first pose found in each photo."""
    from movemirror.pose.metrics import pck_hits

    def pck(estimator, samples) -> float:
        hits = total = 0
        for sample in samples:
            poses = estimator.estimate(sample.path, min_pose_score=0.0)
            h, t = pck_hits(poses[0].keypoints if poses else None, sample.joints)
            hits, total = hits + h, total + t
        return hits / total

    return pck
