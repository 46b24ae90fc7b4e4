"""The bank and the query poses for the benchmarks that serve a bank (bench serve, bench page):
LSPET's annotated poses, and a real camera clip's."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def real_queries(bank_poses: np.ndarray, count: int = 240) -> tuple[np.ndarray, str]:
    """Query poses from a real camera clip (tfjs-models' pose_1), else jittered bank poses."""
    from movemirror.datasets import dataset_dir
    from movemirror.datasets.tfjs_reference import load_reference_keypoints
    from movemirror.errors import DatasetMissingError

    try:
        folder = dataset_dir("tfjs-pose-detection-testdata")
        xy = load_reference_keypoints(folder / "pose_1.json")
        poses = np.concatenate([xy, np.ones((*xy.shape[:2], 1), np.float32)], axis=2)
        return poses, "the 120 frames of tfjs-pose-detection-testdata/pose_1"
    except (DatasetMissingError, FileNotFoundError):
        rng = np.random.default_rng(0)
        picked = bank_poses[rng.integers(0, len(bank_poses), count)].copy()
        picked[..., :2] += rng.normal(0, 2, picked[..., :2].shape)
        return picked, f"{count} bank poses with 2 px of noise"


def lspet_bank(out: Path) -> Path:
    """A bank of LSPET's 6,000 annotated poses (the sample bank's photos), without images."""
    from movemirror.bank import PoseBank
    from movemirror.datasets import dataset_dir
    from movemirror.datasets.lspet import load_lspet
    from movemirror.vectors import pose_problems

    samples = load_lspet(dataset_dir("lspet"))
    poses = np.stack([s.joints for s in samples])
    ok = [p is None for p in pose_problems(poses)]
    kept = [s for s, good in zip(samples, ok, strict=True) if good]
    bank = PoseBank.from_keypoints(
        poses[np.asarray(ok)], ids=[s.path.stem for s in kept],
        meta={"source": [f"lspet/images/{s.path.name}" for s in kept]})
    bank.save(out)
    return out
