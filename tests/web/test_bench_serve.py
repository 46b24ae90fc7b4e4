"""`movemirror bench serve`'s clients and memory probe, against a real server process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from movemirror.bench import serve as serve_bench
from movemirror.bench.memory import MemorySampler, process_memory, process_tree, tree_memory


def test_memory_of_a_process_tree_counts_its_children():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in process_tree(os.getpid())
        mine = process_memory(os.getpid())
        assert mine is not None and 0 < mine.private_mb <= mine.pss_mb <= mine.rss_mb
        assert {m.pid for m in tree_memory(os.getpid())} >= {os.getpid(), child.pid}
    finally:
        child.kill()
        child.wait()


def test_the_sampler_sees_a_process_grow():
    # A fresh process: one that has freed memory before may reuse it without growing.
    grower = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.4); "
                               "held = b'x' * (96 * 2**20); time.sleep(0.6)"])
    try:
        with MemorySampler(grower.pid, every=0.05) as sampler:
            grower.wait(timeout=30)
        samples = sampler.samples_mb()
        assert len(samples) >= 3 and samples.max() - samples[0] > 80, samples
    finally:
        grower.kill()
        grower.wait()


@pytest.fixture(scope="module")
def server(bank_dir):
    with serve_bench.ServerProcess(bank_dir) as server:
        yield server


def messages(bank) -> list[str]:
    return [json.dumps({"keypoints": p.tolist(), "width": 640, "height": 480, "k": 3})
            for p in bank.keypoints[:20]]


def test_closed_loop_clients_keep_one_query_in_flight_and_are_never_superseded(server, bank):
    level = serve_bench.run_level(server, messages(bank), clients=4, rate=20, seconds=1.5,
                                  warmup=0.2, loop="closed")
    assert level.loop == "closed" and level.errors == 0 and level.superseded == 0
    assert level.answered == level.sent > 0  # each query answered before the next is sent
    assert level.min_client_matches_per_second >= 10  # 20 frames a second, a light load
    assert level.server_rss_start_mb > 0 and level.server_rss_max_mb >= level.server_rss_end_mb


def test_malformed_clients_get_errors_and_the_others_are_served(server, bank):
    level = serve_bench.run_level(server, messages(bank), clients=3, rate=20, seconds=1.5,
                                  warmup=0.2, loop="open", malformed_clients=3)
    assert level.malformed_clients == 3
    assert level.errors == 0 and level.unanswered == 0  # the good clients' replies only
    assert level.answered + level.superseded == level.sent > 0


def test_a_level_runs_from_a_thread_whose_event_loop_is_running(server, bank):
    # As under Playwright's sync API, which marks its loop as running in the calling thread.
    async def inside_a_running_loop():
        return serve_bench.run_level(server, messages(bank), clients=2, rate=20, seconds=1.0,
                                     warmup=0.2, loop="closed")

    with ThreadPoolExecutor(1) as pool:  # pytest's thread may hold Playwright's loop
        level = pool.submit(asyncio.run, inside_a_running_loop()).result()
    assert level.errors == 0 and level.answered == level.sent > 0


@pytest.mark.parametrize("loop", ["open", "closed"])
def test_clients_whose_connection_the_server_closes_are_counted_and_the_level_goes_on(
        server, bank, loop):
    from movemirror.server.limits import Limits

    oversize = json.dumps({"keypoints": bank.keypoints[0].tolist(), "width": 640,
                           "height": 480, "id": "x" * Limits().max_message_bytes})
    level = serve_bench.run_level(server, [oversize], clients=2, rate=20, seconds=1.0,
                                  warmup=0.0, loop=loop)  # each closed with 1009 at once
    assert level.closed == 2 and level.errors >= 2 and level.answered == 0
