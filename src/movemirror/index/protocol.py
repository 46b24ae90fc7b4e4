"""The interface every index offers: built from a bank's vectors for one metric, it answers
batches of queries with their k nearest, best first; given poses in pixels, it vectorises
them with its metric's vectorise and searches them, as they are or with their mirror images.

Indexes without a faster way of their own answer the pose searches with the functions below
(search_poses_as_vectors, search_mirrored_apart, search_poses_mirrored_as_vectors), which
SearchesPosesAsVectors gives them as methods."""

from __future__ import annotations

from typing import ClassVar, Protocol, Self, runtime_checkable

import numpy as np

from movemirror.distances import check_metric
from movemirror.index.topk import merge_unique
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import to_vectors, to_vectors_mirrored


@runtime_checkable
class Index(Protocol):
    name: ClassVar[str]  # its key in movemirror.index.INDEX_KINDS
    exact_metrics: ClassVar[tuple[str, ...]]  # metrics it answers exactly as brute force does
    metric: str

    @classmethod
    def build(cls, vectors: np.ndarray, metric: str) -> Self:
        """The index of vectors (N, 52) for a metric of movemirror.distances.VALID_METRICS."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances (Q, k) float32, indices (Q, k) int64) for queries (Q, 52), best first;
        k is cut to the bank's size."""
        ...

    def search_poses(self, poses: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """search(vectorise(poses), k) with the metric's vectorise, for poses (Q, 17, 3)
        float32 in pixels (as_pose_array's); PoseError on a bad pose."""
        ...

    def search_mirrored(self, queries: np.ndarray, mirrored: np.ndarray,
                        k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each query's k best, each bank row once at the nearer of the query and its mirror
        image (mirrored: the mirror images' vectors, row for row): (distances, indices, found
        by the mirror image), each (Q, k); what search_mirrored_apart gives."""
        ...

    def search_poses_mirrored(self, poses: np.ndarray,
                              k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """search_mirrored of poses (Q, 17, 3) float32 in pixels and their mirror images,
        vectorised by the metric's vectorise; PoseError on a bad pose."""
        ...

    @property
    def nbytes(self) -> int:
        """Memory the index holds, the bank's vectors included."""
        ...


def search_poses_as_vectors(index: Index, poses: np.ndarray,
                            k: int) -> tuple[np.ndarray, np.ndarray]:
    """Index.search_poses by vectorising, then searching."""
    return index.search(check_metric(index.metric).vectorise(poses), k)


def search_mirrored_apart(index: Index, queries: np.ndarray, mirrored: np.ndarray,
                          k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index.search_mirrored by searching both and merging them (topk.merge_unique)."""
    if len(queries) != len(mirrored):
        raise ValueError(f"{len(mirrored)} mirror images for {len(queries)} queries")
    distances, indices = index.search(np.concatenate([queries, mirrored]), k)
    n = len(queries)
    return merge_unique(distances[:n], indices[:n], distances[n:], indices[n:],
                        indices.shape[1])


def search_poses_mirrored_as_vectors(index: Index, poses: np.ndarray,
                                     k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index.search_poses_mirrored by vectorising both sides, then index.search_mirrored."""
    vectorise = check_metric(index.metric).vectorise
    if vectorise is to_vectors:
        vectors, flipped = to_vectors_mirrored(poses)  # one compiled pass for both
    else:
        vectors, flipped = vectorise(poses), vectorise(mirror_keypoints(poses))
    return index.search_mirrored(vectors, flipped, k)


class SearchesPosesAsVectors:
    """The pose searches of an index without a faster way of its own (a base class): by
    vectorising, then its search, and the mirrored ones by searching both and merging."""

    def search_poses(self: Index, poses: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return search_poses_as_vectors(self, poses, k)

    def search_mirrored(self: Index, queries: np.ndarray, mirrored: np.ndarray,
                        k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return search_mirrored_apart(self, queries, mirrored, k)

    def search_poses_mirrored(self: Index, poses: np.ndarray,
                              k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return search_poses_mirrored_as_vectors(self, poses, k)
