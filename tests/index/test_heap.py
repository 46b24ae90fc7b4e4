import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from movemirror.index import heap


@settings(deadline=None)
@given(st.lists(st.floats(0, 10, width=32), max_size=200))
def test_pops_come_out_in_order(values):
    bounds = np.empty(len(values) + 1, np.float32)
    nodes = np.empty(len(values) + 1, np.int64)
    size = 0
    for i, v in enumerate(values):
        size = heap.push(bounds, nodes, size, np.float32(v), i)
    out = []
    while size:
        bound, node, size = heap.pop(bounds, nodes, size)
        assert np.float32(values[node]) == bound
        out.append(bound)
    assert out == sorted(np.float32(v) for v in values)

