"""Nearest-neighbour indexes over pose vectors.

Every index is built from the bank's (N, 52) vectors for one metric and answers
`search(query_vectors (Q, 52), k) -> (distances (Q, k), indices (Q, k))`, best first.
"""

from __future__ import annotations

from movemirror.index.approx import ApproxBoxTreeIndex
from movemirror.index.boxtree import BoxTreeIndex
from movemirror.index.brute import BruteForceIndex
from movemirror.index.vptree import VPTreeIndex

# boxtree: exact for both metrics, the fastest measured (movemirror bench search).
# boxtree-approx: the same tree, (1 + epsilon)-approximate, for banks of millions.
# vptree: the original Move Mirror's structure, the reference; exact for cosine only.
INDEX_KINDS = {"brute": BruteForceIndex, "boxtree": BoxTreeIndex,
               "boxtree-approx": ApproxBoxTreeIndex, "vptree": VPTreeIndex}
DEFAULT_INDEX = "boxtree"


def build_index(vectors, metric: str, kind: str = DEFAULT_INDEX):
    try:
        factory = INDEX_KINDS[kind]
    except KeyError:
        choices = ", ".join(INDEX_KINDS)
        raise ValueError(f"unknown index {kind!r}; choose one of {choices}") from None
    return factory(vectors, metric)
