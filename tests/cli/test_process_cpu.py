"""Where the cores went during a benchmark (movemirror.bench.process_cpu), on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from movemirror.bench import process_cpu

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


def test_a_busy_child_process_is_counted_by_its_role():
    # The child burns 0.6 CPU seconds, says so, then sleeps: however loaded the machine is,
    # its CPU time between the two snapshots is those 0.6 s and its start-up.
    burn = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"
            "print('done', flush=True)\ntime.sleep(30)\n")
    role = process_cpu.process_role([sys.executable, "-c", "..."])
    start, busy_start = process_cpu.cpu_by_role(), process_cpu.machine_busy_seconds()
    wall = time.perf_counter()
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert busy.stdout.readline().strip() == "done"
        after, busy_after = process_cpu.cpu_by_role(), process_cpu.machine_busy_seconds()
        seconds = time.perf_counter() - wall
    finally:
        for child in (idle, busy):
            child.kill()
            child.wait()
    assert 0.6 <= after[role] - start.get(role, 0.0) <= 1.0
    cores = process_cpu.cores_busy(start, after, seconds)
    assert cores[role] == pytest.approx((after[role] - start.get(role, 0.0)) / seconds, abs=1e-3)
    # The whole machine was at least as busy as the children (other jobs run here too).
    assert (busy_after - busy_start) / seconds >= cores[role] - 0.05


def test_chromium_processes_and_threads_are_told_apart():
    chromium = "/usr/lib/chromium/chromium"
    assert process_cpu.process_role([chromium, "--type=renderer", "--lang=en"]) == "renderer"
    assert process_cpu.process_role([chromium, "--type=gpu-process"]) == "gpu-process"
    assert process_cpu.process_role([chromium, "--headless"]) == "browser"
    assert process_cpu.process_role(["/x/.venv/bin/movemirror", "serve", "--bank", "b"]) == "server"
    assert process_cpu.thread_role("renderer", "chromium", main_thread=True) \
        == "renderer: page thread"
    assert process_cpu.thread_role("renderer", "DedicatedWorker", main_thread=False) \
        == "renderer: workers"
    assert process_cpu.thread_role("renderer", "Compositor", main_thread=False) \
        == "renderer: other threads"
    assert process_cpu.thread_role("gpu-process", "chromium", main_thread=True) == "gpu-process"


def test_tree_cpu_counts_a_child_that_ended_before_the_block_did():
    # The child burns 0.6 CPU seconds and exits; a snapshot at the end would miss it, the
    # samples taken while it ran do not (less at most one interval: 0.05 s here).
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"
    with process_cpu.TreeCpu(interval=0.05) as cpu:
        subprocess.run([sys.executable, "-c", burn], check=True)
        cpu.mark()
        time.sleep(0.2)
    role = process_cpu.process_role([sys.executable, "-c", "..."])
    assert role == f"{Path(sys.executable).name} -c"
    assert 0.55 <= cpu.by_role()[role] <= 1.2
    assert cpu.seconds >= cpu.by_role()[role]
    # Nothing of the child's after the mark: it had ended; this process only slept.
    assert cpu.seconds_since_mark < 0.15
    assert cpu.by_role()["this process"] < cpu.seconds


def test_tree_cpu_seconds_counts_a_process_and_its_grandchildren():
    # A child whose own child burns 0.6 CPU seconds, as a server's workers do under it.
    burn = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"
            "print('done', flush=True)\ntime.sleep(30)\n")
    parent = ("import subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-c', {burn!r}])\ntime.sleep(30)\n")
    child = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        grandchildren = process_cpu.descendants(child.pid)
        seconds = process_cpu.tree_cpu_seconds(child.pid)
    finally:
        for pid in process_cpu.descendants(child.pid):
            subprocess.run(["kill", str(pid)], check=False)
        child.kill()
        child.wait()
    assert len(grandchildren) == 1
    assert seconds is not None and 0.6 <= seconds <= 3.0
    alone = process_cpu.tree_cpu_seconds(os.getpid())
    assert alone is not None and alone >= time.process_time() - 0.05
