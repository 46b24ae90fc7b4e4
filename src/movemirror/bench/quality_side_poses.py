"""The poses each side of a quality pipeline searches: the archive's (the annotated person of
each photo) and the queries' (as the page would search them, or None where it shows nothing),
and the pairs "learned" learns from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from movemirror.bench.quality_pipeline import Pipeline
from movemirror.bench.quality_poses import Estimates, Side
from movemirror.keypoints import BODY_KEYPOINTS
from movemirror.pose.fuse import DEFAULT_SETTINGS, FuseSettings, fuse_poses
from movemirror.quality.assign import annotated_person
from movemirror.quality.learned import same_person
from movemirror.vectors import pose_problems

# The page matches a pose only with this many body keypoints at this score (keypoints.js
# isGoodPose); below it the page shows nothing.
PAGE_MIN_SCORE = 0.3
PAGE_MIN_BODY_KEYPOINTS = 6


def page_would_match(pose: np.ndarray) -> bool:
    """The page's gate (keypoints.js isGoodPose) and the bank's (movemirror.vectors)."""
    body = pose[list(BODY_KEYPOINTS), 2] >= PAGE_MIN_SCORE
    return int(body.sum()) >= PAGE_MIN_BODY_KEYPOINTS and pose_problems(pose)[0] is None


def side_estimates(side: Side, estimates: dict[Side, Estimates],
                   settings: FuseSettings = DEFAULT_SETTINGS) -> Estimates | None:
    """The side's poses: its own estimates, or for a fused side (+flip, ensemble) its
    members' fused photo by photo (movemirror.pose.fuse), each member's pose counting only
    where the page would match it; its seconds the members' summed (the cost of all runs)."""
    if not side.fused:
        return estimates.get(side)
    members = [side_estimates(m, estimates, settings) for m in side.members]
    if any(m is None for m in members):
        return None
    known = [m for m in members if m is not None]
    photos = set.intersection(*(set(m.poses) for m in known))
    poses: dict[int, list[np.ndarray]] = {}
    for photo in sorted(photos):
        found = [m.poses[photo][0] for m in known
                 if m.poses[photo] and page_would_match(m.poses[photo][0])]
        fused = fuse_poses(found, settings)
        poses[photo] = [] if fused is None else [fused]
    return Estimates(poses, sum(m.seconds for m in known), max(m.workers for m in known))


def truth_pose(joints: np.ndarray) -> np.ndarray:
    """An annotation as a pose: score 1 where annotated, 0 elsewhere."""
    pose = np.asarray(joints, np.float32).copy()
    pose[:, 2] = (pose[:, 2] > 0).astype(np.float32)
    return pose


def archive_poses(side: Side, estimates: Estimates | None, truths: dict[int, np.ndarray],
                  indices: Sequence[int], refuse: float = 0.0) -> tuple[list[int], np.ndarray]:
    """The archive a side gives: (photo indices present, their poses (N, 17, 3)).

    Estimated entries count only when they are the annotated person (quality.assign);
    a photo without one is absent. Poses the bank could not vectorise are absent too, and
    so are those whose body keypoints score below `refuse` on average.
    """
    present, poses = [], []
    for i in indices:
        if estimates is None:
            pose = truth_pose(truths[i])
        else:
            entries = estimates.poses.get(i, [])
            which = annotated_person(entries, truths[i])
            if which is None:
                continue
            pose = entries[which]
        if pose[list(BODY_KEYPOINTS), 2].mean() < refuse:
            continue
        if pose_problems(pose)[0] is None:
            present.append(i)
            poses.append(pose)
    stacked = np.stack(poses) if poses else np.empty((0, 17, 3), np.float32)
    return present, stacked


def query_poses(side: Side, estimates: Estimates | None, truths: dict[int, np.ndarray],
                indices: Sequence[int]) -> list[np.ndarray | None]:
    """Per query photo its pose as the page would search it, or None (no match shown)."""
    out: list[np.ndarray | None] = []
    for i in indices:
        if estimates is None:
            pose = truth_pose(truths[i])
            out.append(pose if pose_problems(pose)[0] is None else None)
        else:
            found = estimates.poses.get(i, [])
            out.append(found[0] if found and page_would_match(found[0]) else None)
    return out


def training_pairs(pipeline: Pipeline, estimates: dict[Side, Estimates],
                   truths: dict[int, np.ndarray], archive_ids: Sequence[int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """What LearnedSearch learns from, with no truth on estimated sides: per archive photo
    the query side's pose as the page would search it, paired with the archive side's entry
    of that photo that is the same person (quality.learned.same_person); (N, 17, 3) each."""
    asked = query_poses(pipeline.query, side_estimates(pipeline.query, estimates), truths,
                        archive_ids)
    archive_est = estimates.get(pipeline.archive)
    queries, archive = [], []
    for photo, pose in zip(archive_ids, asked, strict=True):
        if pose is None:
            continue
        entries = (archive_est.poses.get(photo, []) if archive_est is not None
                   else [truth_pose(truths[photo])])
        which = same_person(pose, entries)
        if which is not None:
            queries.append(pose)
            archive.append(entries[which])
    if not queries:
        raise ValueError(f"{pipeline}: no archive photo has a pose on both sides to learn from")
    return np.stack(queries), np.stack(archive)
