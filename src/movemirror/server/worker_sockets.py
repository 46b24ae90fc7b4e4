"""`movemirror serve --workers N`: each worker listens on a socket of its own, all on the same
port (SO_REUSEPORT), so the kernel spreads new connections evenly over the workers.

uvicorn's own supervisor hands every worker one shared listening socket, and whichever
worker's event loop wakes first accepts every connection waiting (uvloop accepts until the
queue is empty). A burst of connections then lands mostly on one worker: 200 clients
connecting together split 16/184 to 98/102 over two workers here (mean difference 48 of
200 in six levels), and the busier one's event loop makes the tail of everyone on it.
With a socket per worker the kernel picks the socket by a hash of the connection's
addresses, as evenly as a coin (README "bench serve").
"""

from __future__ import annotations

import socket

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process


def worker_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets bound to host:port with SO_REUSEPORT (not yet listening: each worker
    listens on its own). Port 0: the first one's port for all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor, each worker started with one socket of `sockets` (one a worker).
    A worker it replaces later (one that died, or all on SIGHUP) is uvicorn's own, given all
    the sockets: every socket keeps a worker accepting on it, only less evenly."""

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)


def run_workers(config: Config) -> None:
    """Runs config.workers uvicorn workers, a listening socket each, until stopped."""
    sockets = worker_sockets(config.host, config.port, config.workers)
    try:
        SocketPerWorker(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()
