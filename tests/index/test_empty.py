"""An empty bank (ingestion starts one) finds nothing, whatever the index and metric."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.distances import METRICS
from movemirror.index import INDEX_KINDS
from movemirror.vectors import to_vectors


@pytest.mark.parametrize("kind", list(INDEX_KINDS))
@pytest.mark.parametrize("metric", METRICS)
def test_an_empty_index_returns_empty_rows(kind, metric, penn_valid):
    queries = to_vectors(penn_valid[0][:3])
    index = INDEX_KINDS[kind].build(np.empty((0, queries.shape[1]), np.float32), metric)
    distances, indices = index.search(queries, 5)
    assert distances.shape == indices.shape == (3, 0)
