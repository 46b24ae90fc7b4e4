"""How an index's answer is checked against brute force's."""

from __future__ import annotations

import numpy as np

from movemirror.distances import distance

# Distances are float32; two poses closer than this to the same distance are a near-tie,
# which float rounding may order either way.
NEAR_TIE = 1e-5


def assert_agrees(found, truth, queries, bank, metric):
    """found and truth are (distances, indices); they must be the same top-k up to near-ties.

    Where the indices differ, the pose found must be as close to the query (within a
    near-tie) as the one brute force put there, and every reported distance must be the
    true distance of the pose reported.
    """
    d, i = found
    bd, bi = truth
    assert d.shape == i.shape == bd.shape
    assert d.dtype == np.float32 and i.dtype == np.int64
    np.testing.assert_allclose(d, bd, atol=NEAR_TIE, rtol=0)
    exact_found = _distances_at(queries, bank, i, metric)
    exact_truth = _distances_at(queries, bank, bi, metric)
    np.testing.assert_allclose(exact_found, d, atol=NEAR_TIE, rtol=0)
    for row in i:
        assert len(set(row.tolist())) == len(row), "a pose is returned twice"
    gap = np.abs(exact_found - exact_truth)[i != bi]
    assert (gap <= NEAR_TIE).all(), f"not a near-tie: indices differ by distance {gap.max()}"


def _distances_at(queries, bank, indices, metric):
    return np.stack([distance(q, bank[row], metric)[0]
                     for q, row in zip(queries, indices, strict=True)])
