"""Nearest-neighbour indexes over pose vectors, all behind one interface (protocol.Index).

Every index is built from the bank's (N, 52) vectors for one metric, `Kind.build(vectors,
metric)`, and answers `search(query_vectors (Q, 52), k) -> (distances (Q, k), indices (Q, k))`,
best first; `search_poses` and `search_poses_mirrored` take poses in pixels (what
PoseBank.search calls), `search_mirrored` a query's and its mirror image's vectors.
"""

from __future__ import annotations

from movemirror.errors import UnknownIndexError
from movemirror.index.approx import ApproxBoxTreeIndex
from movemirror.index.boxtree import BoxTreeIndex
from movemirror.index.brute import BruteForceIndex
from movemirror.index.protocol import Index
from movemirror.index.vptree import VPTreeIndex

# boxtree: exact for both metrics, the fastest measured (movemirror bench search).
# boxtree-approx: the same tree, (1 + epsilon)-approximate, for banks of millions.
# vptree: the original Move Mirror's structure, the reference; exact for cosine only.
INDEX_KINDS: dict[str, type[Index]] = {
    "brute": BruteForceIndex,
    "boxtree": BoxTreeIndex,
    "boxtree-approx": ApproxBoxTreeIndex,
    "vptree": VPTreeIndex,
}
DEFAULT_INDEX = "boxtree"


def check_index(kind: str) -> type[Index]:
    """The index class of that name; raises UnknownIndexError listing the choices."""
    try:
        return INDEX_KINDS[kind]
    except (KeyError, TypeError):
        choices = ", ".join(INDEX_KINDS)
        raise UnknownIndexError(f"unknown index {kind!r}; choose one of {choices}") from None


def build_index(vectors, metric: str, kind: str = DEFAULT_INDEX) -> Index:
    return check_index(kind).build(vectors, metric)
