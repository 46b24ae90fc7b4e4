"""IdSet: which of some ids a bank holds, by hashes kept in sorted runs, checked against the
ids themselves (ingestion's real ids, and ids whose hashes collide)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from movemirror.bank.id_set import _HASH, IdSet, all_distinct, hash_ids
from movemirror.ingest.work import entry_id


def _ingest_ids(count: int, seed: int = 0) -> list[str]:
    """Ids as ingestion makes them: a file's hash, a frame time and a person."""
    rng = np.random.default_rng(seed)
    hashes = [f"{value:016x}" * 4 for value in rng.integers(0, 2**63, count // 4 + 1)]
    return [entry_id(hashes[i // 4], float(i % 97) / 10 if i % 3 else None, i % 4)
            for i in range(count)]


def test_contains_agrees_with_a_python_set_over_many_adds():
    ids = _ingest_ids(60_000)
    assert len(set(ids)) == len(ids)
    held = IdSet(pa.chunked_array([pa.array(ids[:20_000]), pa.array(ids[20_000:30_000])]))
    rng = np.random.default_rng(1)
    start = 30_000
    for size in (1, 7, 300, 2_000, 50, 5_000, 1, 900, 3_000):  # runs made and merged
        held.add(pa.array(ids[start:start + size]))
        start += size
    assert len(held) == start
    expected = set(ids[:start])
    asked = [ids[i] for i in rng.integers(0, len(ids), 5_000)] + ["", "é", "pose-1"]
    found = held.contains(pa.array(asked))
    assert found.tolist() == [a in expected for a in asked]
    assert 0 < found.sum() < len(asked)
    # Sliced arrays (an offset into Arrow's buffers) and large strings read the same.
    sliced = pa.array(["x", *asked])[1:]
    np.testing.assert_array_equal(held.contains(sliced), found)
    np.testing.assert_array_equal(held.contains(pa.array(asked, pa.large_string())), found)


def test_ids_whose_hashes_collide_are_told_apart():
    ids = [f"collide-{i}" for i in range(300_000)]
    keys = hash_ids(pa.array(ids)) & _HASH
    order = np.argsort(keys)
    same = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    assert len(same), "no two of 300,000 ids share their 32 hash bits (expected about 10)"
    one, other = ids[order[same[0]]], ids[order[same[0] + 1]]
    assert one != other and keys[ids.index(one)] == keys[ids.index(other)]
    held = IdSet(pa.array([one, "unrelated"]))
    assert held.contains(pa.array([other, one, "unrelated", "none"])).tolist() == [
        False, True, True, False]
    held.add(pa.array([other]))
    assert held.contains(pa.array([other, one])).tolist() == [True, True]


def test_hash_ids_refuses_what_is_not_an_id():
    with pytest.raises(ValueError, match="null"):
        hash_ids(pa.array(["a", None]))
    with pytest.raises(TypeError, match="strings"):
        hash_ids(pa.array([1, 2]))
    assert IdSet().contains(pa.array(["a"])).tolist() == [False]


def test_all_distinct_finds_an_id_given_twice_among_many():
    ids = _ingest_ids(20_000)
    assert all_distinct(pa.array(ids)) and all_distinct(pa.array([], pa.string()))
    assert not all_distinct(pa.array([*ids, ids[12_345]]))
    assert not all_distinct(pa.array(["", ""]))
