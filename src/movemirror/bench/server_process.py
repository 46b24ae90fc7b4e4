"""`movemirror serve` in a process of its own, on a free loopback port: the server the serve
and page benchmarks measure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"  # load goes to loopback only


def movemirror_command() -> str:
    """The installed `movemirror` command: beside this Python first (as in a virtualenv)."""
    script = (shutil.which("movemirror", path=str(Path(sys.executable).parent))
              or shutil.which("movemirror"))
    if script is None:
        raise RuntimeError("the `movemirror` command is not installed (pip install -e .)")
    return script


class ServerProcess:
    """`movemirror serve` on a free loopback port, stopped on exit."""

    def __init__(self, bank: Path, index: str | None = None, workers: int = 1,
                 options: tuple[str, ...] = ()):
        import socket

        with socket.socket() as s:
            s.bind((HOST, 0))
            self.port = s.getsockname()[1]
        self.bank = bank
        self.index = index
        self.workers = workers
        self.options = options  # more of serve's options, e.g. ("--follow",)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ServerProcess:
        command = [movemirror_command(), "serve", "--bank", str(self.bank),
                   "--host", HOST, "--port", str(self.port)]
        if self.index:
            command += ["--index", self.index]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        command += self.options
        self.process = process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        workers_seen: set[int] = set()
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the server exited: " + process.communicate()[1])
            try:
                url = f"http://{HOST}:{self.port}/api/health"
                with urllib.request.urlopen(url, timeout=1) as reply:
                    workers_seen.add(json.load(reply)["worker"])
                if len(workers_seen) >= self.workers:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the server did not start within 300 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
