"""serve --workers N: a listening socket per worker, so a burst of connections is spread over
the workers by the kernel instead of going to whichever worker wakes first."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import pytest

from movemirror.bench.server_process import ServerProcess
from movemirror.server.worker_sockets import worker_sockets

LISTEN = "0A"  # the state column of /proc/net/tcp


def _listening_sockets(port: int) -> int:
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines
               if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == LISTEN)


def _workers_answering(port: int, connections: int) -> Counter:
    """Opens `connections` connections at once, then asks each which worker took it."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30)
             for _ in range(connections)]
    try:
        for sock in socks:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        workers: Counter = Counter()
        for sock in socks:
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            workers[json.loads(reply.split(b"\r\n\r\n", 1)[1])["worker"]] += 1
        return workers
    finally:
        for sock in socks:
            sock.close()


def test_worker_sockets_share_one_port_and_port_0_picks_one_for_all():
    socks = worker_sockets("127.0.0.1", 0, 3)
    try:
        ports = {sock.getsockname()[1] for sock in socks}
        assert len(ports) == 1 and ports != {0}
        for sock in socks:
            sock.listen()
        assert _listening_sockets(ports.pop()) == 3
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.slow
def test_serve_with_two_workers_spreads_a_burst_of_connections_over_both(bank_dir):
    with ServerProcess(bank_dir, workers=2) as server:
        assert _listening_sockets(server.port) == 2  # one a worker (uvicorn's own: 1, shared)
        workers = _workers_answering(server.port, 100)
    assert len(workers) == 2, workers
    # By the kernel's hash of each connection's addresses, as a coin would: under 25 of 100
    # on one side has a chance of about 4e-7.
    assert min(workers.values()) >= 25, workers
