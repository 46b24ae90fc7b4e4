"""Where the cores went during a benchmark: CPU seconds of this process's descendants (the
browser's processes and threads, the server) by role, read from /proc (Linux; elsewhere
nothing is measured). Two snapshots' difference over the wall time is the cores each role
kept busy, beside those the whole machine kept busy (other jobs included). TreeCpu samples
the same while a run goes on, so that processes ending before it does (an engine's workers,
Ray's daemons) are counted too.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# Chromium's name (/proc/.../comm) for a renderer's dedicated worker threads: the pose workers
# and the WASM threads they start. The page's own thread is the renderer's main thread.
WORKER_THREAD = "DedicatedWorker"


def _stat_fields(path: Path) -> list[str] | None:
    """The fields of a /proc stat file after its "(comm)", or None if it is gone."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def _cpu_seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    if not PROC.is_dir():
        return children
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(entry / "stat")):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """pid's children, theirs and so on, each process before its own children."""
    children = _children()
    found, todo = [], list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds so far of a process and its descendants (the workers of `serve
    --workers`); None where /proc cannot tell."""
    if not PROC.is_dir():
        return None
    total = 0.0
    for one in [pid, *descendants(pid)]:
        if fields := _stat_fields(PROC / str(one) / "stat"):
            total += _cpu_seconds(fields)
    return total


def process_role(cmdline: list[str]) -> str:
    """'browser', a Chromium --type (renderer, gpu-process, utility, zygote), 'server' for
    movemirror serve, else the program's name."""
    if not cmdline:
        return "other"
    program = Path(cmdline[0]).name
    if "chrom" in program:
        kinds = [arg.split("=", 1)[1] for arg in cmdline if arg.startswith("--type=")]
        return kinds[0] if kinds else "browser"
    if "serve" in cmdline and any("movemirror" in arg for arg in cmdline[:2]):
        return "server"
    if program.startswith("python"):  # with its script (or -c): Ray runs several Pythons
        script = next((arg for arg in cmdline[1:] if arg == "-c" or not arg.startswith("-")),
                      "")
        return f"{program} {Path(script).name}".strip()
    return program


def thread_role(process: str, thread_name: str, main_thread: bool) -> str:
    """A renderer's threads apart: the page's thread, its workers, the rest."""
    if process != "renderer":
        return process
    if main_thread:
        return "renderer: page thread"
    if thread_name.startswith(WORKER_THREAD):
        return "renderer: workers"
    return "renderer: other threads"


def cpu_by_role(root: int | None = None) -> dict[str, float]:
    """CPU seconds so far of root's descendants (default: this process's), by role."""
    totals: dict[str, float] = {}
    if not PROC.is_dir():
        return totals
    for pid in descendants(os.getpid() if root is None else root):
        try:
            # Chromium rewrites its children's titles: one string, arguments split by spaces.
            cmdline = (PROC / str(pid) / "cmdline").read_text().replace("\0", " ").split()
            tasks = list((PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        role = process_role(cmdline)
        for task in tasks:
            fields = _stat_fields(task / "stat")
            try:
                name = (task / "comm").read_text().strip()
            except OSError:
                continue
            if fields:
                key = thread_role(role, name, task.name == str(pid))
                totals[key] = totals.get(key, 0.0) + _cpu_seconds(fields)
    return totals


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    try:
        first = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(value) for value in first]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS


def cores_busy(before: dict[str, float], after: dict[str, float], seconds: float) -> dict:
    """Cores each role kept busy between two cpu_by_role snapshots `seconds` apart."""
    roles = sorted(set(after), key=lambda role: -(after[role] - before.get(role, 0.0)))
    return {role: round((after[role] - before.get(role, 0.0)) / seconds, 3) for role in roles}


class TreeCpu:
    """`with TreeCpu() as cpu: ...`: CPU seconds of this process (from the block's start) and
    of every descendant, sampled every `interval` seconds and at the end; a process that
    ends between two samples loses at most one interval. cpu.mark() notes the total so far
    (say, at an engine's first result) for cpu.seconds_since_mark."""

    def __init__(self, interval: float = 0.25):
        self.root = os.getpid()
        self.interval = interval
        self.latest: dict[int, float] = {}  # pid: its CPU seconds at its last sample
        self.roles: dict[int, str] = {}  # pid: its role, kept once the process is gone
        self.at_mark: dict[int, float] = {}
        self._root_start = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-cpu", daemon=True)

    def __enter__(self) -> TreeCpu:
        fields = _stat_fields(PROC / str(self.root) / "stat")
        self._root_start = _cpu_seconds(fields) if fields else 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        if not PROC.is_dir():
            return
        for pid in [self.root, *descendants(self.root)]:
            fields = _stat_fields(PROC / str(pid) / "stat")
            if not fields:
                continue
            with self._lock:
                self.latest[pid] = _cpu_seconds(fields) - (
                    self._root_start if pid == self.root else 0.0)
                role = "this process" if pid == self.root else _role_of(pid)
                if role != "other" or pid not in self.roles:  # Ray retitles its workers
                    self.roles[pid] = role

    def mark(self) -> None:
        self.sample()
        with self._lock:
            self.at_mark = dict(self.latest)

    @property
    def seconds(self) -> float:
        with self._lock:
            return sum(self.latest.values())

    @property
    def seconds_since_mark(self) -> float:
        with self._lock:
            return sum(v - self.at_mark.get(pid, 0.0) for pid, v in self.latest.items())

    def by_role(self) -> dict[str, float]:
        """CPU seconds by role (this process, python -c for a pool's workers, ray::... for
        Ray's actors, raylet...), largest first."""
        totals: dict[str, float] = {}
        with self._lock:
            for pid, value in self.latest.items():
                totals[self.roles[pid]] = totals.get(self.roles[pid], 0.0) + value
        return {role: round(value, 2) for role, value in
                sorted(totals.items(), key=lambda item: -item[1])}


def _role_of(pid: int) -> str:
    try:
        cmdline = (PROC / str(pid) / "cmdline").read_text().replace("\0", " ").split()
    except OSError:
        return "other"
    return process_role(cmdline)
