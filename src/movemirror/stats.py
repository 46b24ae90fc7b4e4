"""Bootstrap confidence intervals: the one home for resampling with replacement."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Resampled values held at once per column (a row of several values counts each): about
# 32 MB of float64 or of the int64 row indices, however many the draws.
CHUNK_ITEMS = 1 << 22


def bootstrap_interval(statistic: Callable[..., np.ndarray], *columns, draws: int = 10_000,
                       confidence: float = 0.95, seed: int = 0,
                       chunk_items: int = CHUNK_ITEMS) -> tuple[float, float]:
    """The percentile bootstrap interval of a statistic of rows.

    Each draw resamples row indices with replacement; every column (one value per row, or a
    row of values) is indexed by the same draw, so paired rows stay together. The statistic
    gets the resampled columns, each shaped (draws in the chunk, rows, ...), and returns one
    value per draw. Draws where it is NaN (undefined on that resample) are left out; (NaN,
    NaN) if it is on all. The draws come from one stream, `integers(0, rows, (draws, rows))`
    of `default_rng(seed)`, whatever the chunking.
    """
    if not columns:
        raise ValueError("bootstrap_interval needs at least one column")
    arrays = [np.asarray(column) for column in columns]
    rows = len(arrays[0])
    if rows == 0:
        raise ValueError("bootstrap_interval needs at least one row")
    if any(len(array) != rows for array in arrays):
        raise ValueError("bootstrap_interval's columns must have one entry per row each, "
                         f"got lengths {[len(array) for array in arrays]}")
    if draws < 1:
        raise ValueError(f"bootstrap_interval needs at least one draw, got {draws}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    rng = np.random.default_rng(seed)
    per_chunk = max(1, chunk_items // max(array.size for array in arrays))
    values = np.empty(draws, dtype=np.float64)
    for start in range(0, draws, per_chunk):
        count = min(per_chunk, draws - start)
        picks = rng.integers(0, rows, (count, rows))
        values[start:start + count] = statistic(*(array[picks] for array in arrays))
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = (100 - 100 * confidence) / 2  # 2.5 exactly for 0.95
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
