"""The ids of a bank, to tell cheaply which of some new ids it holds already.

Each id is kept as one 64-bit key: the high 32 bits of a hash of the id (computed on Arrow's
string buffers, no Python object per id) above its row number. Keys are kept in sorted
runs, so a lookup is a binary search per new id in each run; a key whose hash bits match is
then compared with the stored id itself, so a collision never loses a pose. Ids added later
make new runs, merged as they pile up (two sorted runs merge in linear time), so adding a
batch costs in proportion to the batch, not to the bank.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

_ROW_BITS = 32  # a bank holds fewer than 2**32 poses
_ROWS = np.uint64((1 << _ROW_BITS) - 1)
_HASH = ~_ROWS
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def hash_ids(ids: pa.Array) -> np.ndarray:
    """(N,) uint64: a hash of each string (FNV-1a over its bytes, then mixed), read straight
    from Arrow's buffers."""
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        raise TypeError(f"ids must be strings, not {ids.type}")
    if ids.null_count:
        raise ValueError("ids must not be null")
    _, offsets_buffer, data_buffer = ids.buffers()
    width = np.int64 if pa.types.is_large_string(ids.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, width)[ids.offset:ids.offset + len(ids) + 1]
    data = (np.frombuffer(data_buffer, np.uint8) if data_buffer is not None
            else np.empty(0, np.uint8))
    return _hash_strings(offsets, data)


def all_distinct(ids: pa.Array) -> bool:
    """Whether no id appears twice (by their hashes; ids whose hashes meet are compared)."""
    hashes = np.sort(hash_ids(ids))
    if not (hashes[1:] == hashes[:-1]).any():
        return True
    return len(set(ids.to_pylist())) == len(ids)


@njit(cache=True, nogil=True)
def _hash_strings(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    out = np.empty(len(offsets) - 1, np.uint64)
    for i in range(len(out)):
        value = _FNV_OFFSET
        for j in range(offsets[i], offsets[i + 1]):
            value = (value ^ np.uint64(data[j])) * _FNV_PRIME
        # splitmix64's finaliser, so that every byte reaches the high bits kept
        value = (value ^ (value >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        value = (value ^ (value >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out[i] = value ^ (value >> np.uint64(31))
    return out


class IdSet:
    """A bank's ids: add batches of them, ask which of some ids are among them."""

    MAX_RUNS = 8  # beyond this, the newest runs are merged

    def __init__(self, ids: pa.Array | pa.ChunkedArray | None = None):
        self._chunks: list[pa.Array] = []  # every id, in the order added (rows)
        self._starts: list[int] = []  # each chunk's first row
        self._count = 0
        self._runs: list[np.ndarray] = []  # sorted keys: hash bits | row
        if ids is not None:
            self.add(ids)

    def __len__(self) -> int:
        return self._count

    def add(self, ids: pa.Array | pa.ChunkedArray) -> None:
        """Take some ids (assumed not among those held)."""
        keys = []
        for chunk in _chunks(ids):
            if not len(chunk):
                continue
            if self._count + len(chunk) > 1 << _ROW_BITS:
                raise ValueError(f"a bank holds fewer than {1 << _ROW_BITS:,} poses")
            rows = np.arange(self._count, self._count + len(chunk), dtype=np.uint64)
            keys.append((hash_ids(chunk) & _HASH) | rows)
            self._chunks.append(chunk)
            self._starts.append(self._count)
            self._count += len(chunk)
        if not keys:
            return
        run = np.concatenate(keys) if len(keys) > 1 else keys[0]
        run.sort()
        self._runs.append(run)
        # Merge the newest runs while the last is not much smaller than the one before (so
        # each key is merged O(log N) times), and whenever there are too many.
        while len(self._runs) > 1 and (2 * len(self._runs[-1]) >= len(self._runs[-2])
                                       or len(self._runs) > self.MAX_RUNS):
            merged = np.concatenate(self._runs[-2:])
            merged.sort(kind="stable")  # two sorted runs: a linear merge
            self._runs[-2:] = [merged]

    def contains(self, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """(N,) bool: which of ids are held."""
        parts = _chunks(ids)
        if not parts:
            return np.zeros(0, bool)
        ids = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
        found = np.zeros(len(ids), bool)
        if not len(ids) or not self._count:
            return found
        hashes = hash_ids(ids) & _HASH
        # Looked up in sorted order, each search starts where the last ended (cache-friendly).
        order = np.argsort(hashes)
        needles = hashes[order]
        for run in self._runs:
            low = np.searchsorted(run, needles, "left")
            hit = np.flatnonzero(run[np.minimum(low, len(run) - 1)] & _HASH == needles)
            if not len(hit):
                continue
            # Every (new id, stored row) pair whose hash bits match, compared as strings.
            counts = np.searchsorted(run, needles[hit] | _ROWS, "right") - low[hit]
            which = np.repeat(order[hit], counts)
            first = np.repeat(low[hit] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            rows = (run[np.arange(len(which)) + first] & _ROWS).astype(np.int64)
            found[which[self._same(ids, which, rows)]] = True
        return found

    def _same(self, ids: pa.Array, which: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether ids[which[i]] equals the held id of row rows[i], for each i."""
        chunk_of = np.searchsorted(self._starts, rows, "right") - 1
        same = np.zeros(len(rows), bool)
        for chunk in np.unique(chunk_of):
            at = np.flatnonzero(chunk_of == chunk)
            held = self._chunks[chunk].take(pa.array(rows[at] - self._starts[chunk]))
            asked = ids.take(pa.array(which[at]))
            same[at] = pc.equal(asked, held.cast(asked.type)).to_numpy(zero_copy_only=False)
        return same


def _chunks(ids: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(ids.chunks) if isinstance(ids, pa.ChunkedArray) else [ids]
