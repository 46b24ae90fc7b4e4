"""`movemirror serve --follow` on a format-1 bank (read-only): it serves it, says that nothing
can change it before `bank upgrade`, and once upgraded follows it, new versions included."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np

from movemirror.bank import PoseBank, format1, storage
from movemirror.bench.server_process import movemirror_command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _version(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as reply:
            return json.loads(reply.read())["bank_version"]
    except (urllib.error.URLError, ConnectionError):
        return None  # not listening yet


def _wait_for(port: int, version: str, process: subprocess.Popen) -> None:
    # Only against a hang (the process is watched): a start on a busy machine takes minutes.
    deadline = time.monotonic() + 600
    while (seen := _version(port)) != version:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"still serving version {seen}, not {version}"
        time.sleep(0.2)


def test_a_format1_bank_is_served_and_followed_once_upgraded(tmp_path):
    keypoints = np.random.default_rng(0).uniform(10, 200, (30, 17, 3))
    keypoints[..., 2] = 0.9
    old = PoseBank.from_keypoints(keypoints[:20])
    path = tmp_path / "old"
    format1.write_bank(path, old.records, old.vectors, tables={})
    generation = storage.current_generation(path)
    port = _free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    server = subprocess.Popen([movemirror_command(), "serve", "--bank", str(path), "--follow",
                               "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_for(port, generation, server)
        storage.upgrade(path)  # `movemirror bank upgrade` beside the server
        _wait_for(port, "1", server)
        bank = PoseBank.load(path)
        bank.add(keypoints[20:])
        bank.save()  # and then `movemirror index` committing to it
        _wait_for(port, "2", server)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert (f"following the bank: it is format 1, read-only (`movemirror index` cannot add to "
            f"it) until `movemirror bank upgrade {path}` converts it; then each new version is "
            "served once it is committed") in out
