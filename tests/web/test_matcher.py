"""Micro-batching on a pool of threads: concurrent queries answered together, two batches at
once, give what one-by-one search gives."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from movemirror.errors import PoseError
from movemirror.server.matcher import Matcher


def run_in_fresh_loop(coroutine_function):
    # Playwright's sync API keeps an event loop running on the main thread during the session.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


def test_concurrent_queries_match_single_searches(bank):
    rng = np.random.default_rng(0)
    poses = bank.keypoints[rng.integers(0, len(bank), 60)].copy()
    poses[..., :2] += rng.normal(0, 3, poses[..., :2].shape)
    options = [(int(rng.integers(1, 12)), ("cosine", "weighted")[i % 2], bool(i % 3 == 0))
               for i in range(len(poses))]
    matcher = Matcher(bank, threads=2)

    async def run():
        return await asyncio.gather(*(matcher.search(p, k, m, mi)
                                      for p, (k, m, mi) in zip(poses, options, strict=True)))

    try:
        results = run_in_fresh_loop(run)
    finally:
        matcher.close()
    assert matcher.queries == 60
    assert matcher.batches < 10  # gathered, not one search per query
    assert matcher.most_batches_at_once == 2  # shared out between both threads
    for pose, (k, metric, mirror), hits in zip(poses, options, results, strict=True):
        found = bank.search(pose, k=k, metric=metric, mirror=mirror)
        assert [h.index for h in hits] == found.indices[0].tolist()
        assert np.allclose([h.distance for h in hits], found.distances[0], atol=1e-6)
        assert [h.mirrored for h in hits] == found.mirrored[0].tolist()


def test_one_bad_pose_does_not_spoil_its_batch(bank):
    matcher = Matcher(bank)

    async def run():
        return await asyncio.gather(matcher.search(bank.keypoints[0], 2),
                                    matcher.search(np.zeros((17, 3)), 2),
                                    matcher.search(bank.keypoints[5], 2),
                                    return_exceptions=True)

    try:
        good, bad, other = run_in_fresh_loop(run)
    finally:
        matcher.close()
    assert good[0].index == 0 and other[0].index == 5
    assert isinstance(bad, PoseError)
    with pytest.raises(PoseError, match="confident"):
        raise bad



def test_a_server_lets_its_search_threads_take_the_gil_back_within_half_a_millisecond(bank):
    from movemirror.server import create_app
    from movemirror.server.matcher import GIL_SWITCH_SECONDS

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # CPython's default
        create_app(bank, web_modules=None)
        assert sys.getswitchinterval() <= GIL_SWITCH_SECONDS
    finally:
        sys.setswitchinterval(before)
