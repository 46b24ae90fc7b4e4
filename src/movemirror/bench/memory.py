"""Resident memory of a server and its worker processes, read from /proc (Linux).

rss counts every page a process has in memory, shared or not; pss shares each shared page
among the processes mapping it (so the pss of all processes adds up to what they use
together); private is what only that process holds: what one more worker costs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from movemirror.bench.process_cpu import PROC, descendants


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    rss_mb: float
    pss_mb: float
    private_mb: float


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (uvicorn's workers are children of the server)."""
    return [pid, *descendants(pid)]


def process_memory(pid: int) -> ProcessMemory | None:
    """From /proc/PID/smaps_rollup; None when the process is gone or it cannot be read."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    kb = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            kb[name] = int(parts[0])
    private = kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)
    return ProcessMemory(pid, kb.get("Rss", 0) / 1024, kb.get("Pss", 0) / 1024, private / 1024)


def tree_memory(pid: int) -> list[ProcessMemory]:
    return [m for m in map(process_memory, process_tree(pid)) if m is not None]


class MemorySampler:
    """Samples the total resident memory of a process tree every `every` seconds in a
    thread, while the with-block runs."""

    def __init__(self, pid: int, every: float = 1.0):
        self.pid, self.every = pid, every
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            memory = tree_memory(self.pid)
            if memory:
                self._samples.append(sum(m.rss_mb for m in memory))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def samples_mb(self) -> np.ndarray:
        return np.asarray(self._samples)


def describe_memory(processes: list[ProcessMemory]) -> str:
    """One line: the server's processes' resident memory, together and each."""
    if not processes:
        return "Server memory: not readable here (/proc/PID/smaps_rollup)."
    each = "; ".join(f"pid {m.pid}: rss {m.rss_mb:,.0f}, pss {m.pss_mb:,.0f}, private "
                     f"{m.private_mb:,.0f}" for m in processes)
    rss, pss = sum(m.rss_mb for m in processes), sum(m.pss_mb for m in processes)
    return (f"Server memory ({len(processes)} processes), MB: rss {rss:,.0f}, pss {pss:,.0f} "
            f"together ({each}).")
