"""The quality benchmark's judges on the true poses: every (query, archive photo) pair judged
once (cached on disk), the random and oracle reference scores, and the score of the matches a
pipeline chose."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from movemirror.keypoints import mirror_keypoints
from movemirror.quality.gap import reference_scores
from movemirror.quality.judges import joint_position, limb_direction

JUDGES = {"limb": limb_direction, "joint": joint_position}


@dataclass
class Judged:
    """The judges' scores of every (query, archive photo) pair, and the reference scores."""

    scores: dict[str, np.ndarray]  # judge -> (queries, archive)
    random: dict[str, np.ndarray]
    oracle: dict[str, np.ndarray]


def judge_all(queries: np.ndarray, archive: np.ndarray) -> Judged:
    """Every pair judged; cached on disk by the poses and the judges' source (about a
    minute's work for 2,000 x 4,000 pairs)."""
    import hashlib
    import inspect

    from movemirror.datasets import cache_dir
    from movemirror.quality import judges

    digest = hashlib.sha256(inspect.getsource(judges).encode())
    digest.update(queries.tobytes())
    digest.update(archive.tobytes())
    path = cache_dir() / "quality-cache" / f"judged-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as stored:
            scores = {name: stored[name] for name in JUDGES}
    else:
        scores = {name: np.stack([judge(q, archive) for q in queries]).astype(np.float32)
                  if len(queries) else np.empty((0, len(archive)), np.float32)
                  for name, judge in JUDGES.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **scores)
        os.replace(partial, path)
    random, oracle = {}, {}
    for name, matrix in scores.items():
        random[name], oracle[name] = reference_scores(matrix)
    return Judged(scores, random, oracle)


def chosen_scores(judged: Judged, name: str, query_truths: np.ndarray,
                  archive_truths: np.ndarray, matches: np.ndarray, mirrored: np.ndarray,
                  k: int) -> np.ndarray:
    """Mean judge score of each query's first k matches (NaN: no match). A match found by the
    mirrored query is shown mirrored, so it is judged mirrored."""
    judge = JUDGES[name]
    out = np.full(len(matches), np.nan)
    for q, (row, flags) in enumerate(zip(matches, mirrored, strict=True)):
        if row[0] < 0:
            continue
        values = []
        for a, flip in zip(row[:k], flags[:k], strict=True):
            if a < 0:
                continue
            if flip:
                values.append(judge(query_truths[q], mirror_keypoints(archive_truths[a]))[0])
            else:
                values.append(judged.scores[name][q, a])
        out[q] = np.nanmean(values) if np.isfinite(values).any() else np.nan
    return out
