"""Pin numpy's OpenBLAS to a number of threads, so "one query on one core" means it.

numpy ships OpenBLAS without an API to set its threads once it is loaded; its library does
export a setter, reached here through ctypes. Where it cannot be found this does nothing,
and says so.
"""

from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = tuple(name.replace("set_", "get_") for name in _SETTERS)


def _openblas():
    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas*")):
        library = ctypes.CDLL(path)
        for setter, getter in zip(_SETTERS, _GETTERS, strict=True):
            if hasattr(library, setter) and hasattr(library, getter):
                return getattr(library, setter), getattr(library, getter)
    return None


@contextmanager
def blas_threads(count: int):
    """Within the block, numpy's matrix products use at most count threads (if possible).

    Yields whether the limit could be applied.
    """
    functions = _openblas()
    if functions is None:
        yield False
        return
    setter, getter = functions
    before = getter()
    setter(count)
    try:
        yield True
    finally:
        setter(before)
