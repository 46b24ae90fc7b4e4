"""The indexes are searched from a server's thread pool: their kernels release the GIL and
give every thread the answers one thread alone gets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from movemirror.index import boxtree, vptree
from movemirror.index.boxtree import BoxTreeIndex
from movemirror.index.vptree import VPTreeIndex
from movemirror.vectors import check_and_vectorise, with_mirror_images

from .poses import random_vectors


@pytest.mark.parametrize("kernel", [boxtree._search_rows, boxtree._search_few,
                                    boxtree._search_poses, boxtree._search_poses_mirrored,
                                    boxtree._search_few_mirrored, boxtree._search_parallel,
                                    vptree._search_rows, check_and_vectorise,
                                    with_mirror_images])
def test_search_kernels_release_the_gil(kernel):
    assert kernel.targetoptions.get("nogil") is True


@pytest.mark.parametrize("kind, metric", [(BoxTreeIndex, "cosine"), (BoxTreeIndex, "weighted"),
                                          (VPTreeIndex, "cosine")])
def test_threads_searching_at_once_get_what_one_thread_gets(kind, metric):
    vectors = random_vectors(3000, seed=5)
    queries = random_vectors(400, seed=6)
    index = kind.build(vectors, metric)
    alone_d, alone_i = index.search(queries, 7)
    # Single queries and batches on both sides of the parallel threshold, interleaved.
    chunks = [queries[s : s + size] for s, size in zip(range(0, 400, 50), [1, 40, 3, 50] * 2,
                                                        strict=True)]
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda chunk: index.search(chunk, 7), chunks * 3))
    for n, (d, i) in enumerate(found):
        start = (n % len(chunks)) * 50
        rows = slice(start, start + len(i))
        np.testing.assert_array_equal(i, alone_i[rows])
        np.testing.assert_array_equal(d, alone_d[rows])
