"""Real poses for the coverage tests: Penn Action's labels, one frame in ten."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from movemirror.vectors import pose_problems

FRAME_STEP = 10  # consecutive frames are near-identical; one in ten keeps the tests fast


@dataclass(frozen=True)
class PennSample:
    keypoints: np.ndarray  # (N, 17, 3)
    action: np.ndarray
    train: np.ndarray
    clip: np.ndarray


@pytest.fixture(scope="session")
def penn_sample(penn) -> PennSample:
    keep = penn.frame % FRAME_STEP == 0
    keep[keep] = [problem is None for problem in pose_problems(penn.keypoints[keep])]
    return PennSample(penn.keypoints[keep], penn.action[keep], penn.train[keep], penn.clip[keep])
