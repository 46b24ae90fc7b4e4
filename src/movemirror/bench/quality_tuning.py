"""What the quality tuning scripts (scripts/tune_*.py) share: LSPET's photos judged as `bench
quality` judges them, the archive as `make demo` indexes it, and one half of the queries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movemirror.bench.quality import HALVES, Plan
from movemirror.bench.quality_judged import JUDGES, Judged, judge_all
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.bench.quality_poses import Side, cached_estimates
from movemirror.bench.quality_side_poses import archive_poses, truth_pose
from movemirror.datasets import dataset_dir
from movemirror.datasets.lspet import load_lspet
from movemirror.quality.gap import gap_closed


@dataclass
class TuningSetup:
    truths: dict[int, np.ndarray]  # photo index -> annotated joints
    paths: dict[int, Path]
    archive_ids: list[int]
    query_ids: list[int]  # both halves, as bench quality judges them
    query_truths: np.ndarray
    archive_truths: np.ndarray
    judged: Judged
    archive: np.ndarray  # the archive side's poses (N, 17, 3), cached by bench quality
    to_column: np.ndarray  # archive pose row -> its column in the judged matrices
    half: np.ndarray  # over query_ids: in the half asked for
    random: dict[str, np.ndarray]  # per judge, over the half: a random photo's score
    oracle: dict[str, np.ndarray]  # per judge, over the half: the best photo's score

    def figures(self, chosen: dict[str, np.ndarray], answered: np.ndarray) -> str:
        """The gap closed per judge as bench quality prints it, from each query's score of its
        top match over the half: over the answered queries, and in brackets over all (a query
        without a match counting as a random photo)."""
        parts = []
        for n in JUDGES:
            over_all = np.where(answered, chosen[n], self.random[n])
            parts.append(f"{n} {gap_closed(self.random[n], self.oracle[n], chosen[n]):.3f} "
                         f"({gap_closed(self.random[n], self.oracle[n], over_all):.3f})")
        return f"{int(answered.sum())} answered, " + " ".join(parts)


def tuning_setup(half: str) -> TuningSetup:
    """LSPET judged, with the archive side's cached poses, for `half` ("tuning" or "report")."""
    plan = Plan()
    samples = load_lspet(dataset_dir("lspet"), limit=plan.held_out[1], start=0)
    truths = {int(s.path.stem[2:]) - 1: s.joints for s in samples}
    paths = {int(s.path.stem[2:]) - 1: s.path for s in samples}
    archive_ids = [i for i in range(*plan.archive) if i in truths]
    query_ids = [i for i in range(plan.tuning[0], plan.held_out[1]) if i in truths]
    archive_truths = np.stack([truth_pose(truths[i]) for i in archive_ids])
    query_truths = np.stack([truth_pose(truths[i]) for i in query_ids])
    judged = judge_all(query_truths, archive_truths)
    side = Side.parse(ARCHIVE_SIDE)
    present, archive = archive_poses(side, cached_estimates(side), truths, archive_ids)
    column = {photo: c for c, photo in enumerate(archive_ids)}
    in_half = np.array([i in HALVES[half] for i in query_ids])
    return TuningSetup(
        truths, paths, archive_ids, query_ids, query_truths, archive_truths, judged, archive,
        np.array([column[p] for p in present]), in_half,
        {n: judged.random[n][in_half] for n in JUDGES},
        {n: judged.oracle[n][in_half] for n in JUDGES})
