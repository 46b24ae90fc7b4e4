"""`make test` compiles numba's kernels before the suite (tests/warm_numba.py): the kernels
the index tests compile are among them, so that no test pays for their compile (the
vantage-point tree's, about 8 s at load 3, were not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

# In a process of its own: the kernels this one compiled or loaded say nothing of the warm-up.
AFTER_WARM_UP = """
import sys
sys.path.insert(0, {tests!r})
import warm_numba
warm_numba.main("read-only")
from movemirror.index import vptree
print(len(vptree._build.signatures), len(vptree._search_rows.signatures))
"""


@pytest.mark.slow
def test_the_warm_up_compiles_the_vantage_point_tree_kernels():
    done = subprocess.run([sys.executable, "-c", AFTER_WARM_UP.format(tests=str(TESTS))],
                          capture_output=True, text=True, timeout=600, check=True)
    if "nothing compiled ahead" in done.stdout:
        pytest.skip(done.stdout.strip())  # without Penn Action's labels
    assert done.stdout.split()[-2:] == ["1", "1"], done.stdout + done.stderr
