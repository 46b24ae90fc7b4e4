"""Many machines: Debian's nginx with deploy/nginx.conf in front of two replicas of
`movemirror serve` on loopback. One replica is killed mid-stream; page-like clients
reconnect through nginx and keep getting matches."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from movemirror.bank import PoseBank

from .conftest import REPO, free_port

NGINX = Path("/usr/sbin/nginx")
DEPLOY_CONF = REPO / "deploy" / "nginx.conf"
HOST = "127.0.0.1"


def wait_for(url: str, seconds: float = 60, process: subprocess.Popen | None = None) -> dict:
    """The JSON at `url` once it answers; fails at once if `process` (the server) has ended."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return json.load(reply)
        except OSError:
            assert process is None or process.poll() is None, f"the server of {url} ended"
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_until(condition, what, seconds: float = 300) -> None:
    """Polls `condition` until it holds; the time limit only stops a hung test."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.05)


def site_config(ports: list[int], listen: int, cache: Path) -> str:
    """deploy/nginx.conf as shipped, pointed at this test's loopback ports and cache folder."""
    text = DEPLOY_CONF.read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8001 ", f"server {HOST}:{ports[0]} "),
        (r"server 127\.0\.0\.1:8002 ", f"server {HOST}:{ports[1]} "),
        (r"listen 80;", f"listen {HOST}:{listen};"),
        (r"proxy_cache_path /var/cache/nginx/movemirror ", f"proxy_cache_path {cache} "),
    ]
    for pattern, value in replacements:
        text, found = re.subn(pattern, value, text)
        assert found == 1, f"deploy/nginx.conf no longer has {pattern!r}"
    return text


def main_config(folder: Path, site: Path) -> str:
    """A minimal nginx.conf owning nothing outside folder: pid, logs and temp files there."""
    temp = " ".join(f"{name}_temp_path {folder / name};"
                    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;" if os.geteuid() == 0 else ""
    return (f"{user} worker_processes 1; pid {folder / 'nginx.pid'}; "
            f"error_log {folder / 'error.log'} warn; events {{ worker_connections 256; }} "
            f"http {{ access_log off; {temp} include {site}; }}")


class Replica:
    def __init__(self, bank_dir: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "movemirror.cli.main", "serve", "--bank", str(bank_dir),
             "--host", HOST, "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PageLikeClient(threading.Thread):
    """One query in flight, as the page's MatchStream: on a closed socket it reconnects
    (after 100 ms) and goes on with its next pose."""

    def __init__(self, url: str, messages: list[str], stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.messages, self.stop_event = url, messages, stop
        self.matches: list[float] = []  # when each match arrived
        self.closed: list[float] = []  # when each connection was lost
        self.errors: list[dict] = []

    def run(self) -> None:
        n = 0
        while not self.stop_event.is_set():
            try:
                with connect(self.url, open_timeout=5) as ws:
                    while not self.stop_event.is_set():
                        ws.send(self.messages[n % len(self.messages)])
                        n += 1
                        reply = json.loads(ws.recv(timeout=60))  # against a hang only
                        if reply["type"] == "matches":
                            self.matches.append(time.monotonic())
                        else:
                            self.errors.append(reply)
                        time.sleep(0.01)
            except (ConnectionClosed, OSError, TimeoutError):
                self.closed.append(time.monotonic())
                time.sleep(0.1)


@pytest.fixture
def nginx_binary() -> Path:
    if not NGINX.exists():
        pytest.skip("Debian's nginx is not installed and could not be (scripts/setup_nginx.sh "
                    "runs in make test's set-up; it needs apt-get)")
    return NGINX


@contextmanager
def nginx_before(nginx_binary: Path, replicas: list[Replica], folder: Path) -> Iterator[str]:
    """deploy/nginx.conf run by Debian's nginx in front of the replicas; yields its URL."""
    for replica in replicas:  # each loads and warms its bank: minutes on a busy machine
        wait_for(f"http://{HOST}:{replica.port}/api/health", 600, replica.process)
    listen = free_port()
    site = folder / "movemirror.conf"
    site.write_text(site_config([r.port for r in replicas], listen, folder / "cache"))
    main = folder / "nginx.conf"
    main.write_text(main_config(folder, site))
    check = subprocess.run([str(nginx_binary), "-t", "-c", str(main), "-p", str(folder)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([str(nginx_binary), "-c", str(main), "-p", str(folder),
                              "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        wait_for(f"http://{HOST}:{listen}/api/health")  # nginx listening
        yield f"http://{HOST}:{listen}"
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()


def test_two_replicas_behind_nginx_survive_losing_one(nginx_binary, bank_dir, bank, tmp_path):
    replicas = [Replica(bank_dir), Replica(bank_dir)]
    with ExitStack() as stack:
        for replica in replicas:
            stack.callback(replica.stop)
        base = stack.enter_context(nginx_before(nginx_binary, replicas, tmp_path))
        health = wait_for(f"{base}/api/health")
        assert health["bank_version"] == bank.generation
        assert health["bank_size"] == len(bank)

        # The page's static files are cached by nginx, with the app's headers kept.
        statuses = []
        for _ in range(2):
            with urllib.request.urlopen(f"{base}/static/js/connection.js") as reply:
                statuses.append(reply.headers["X-Cache-Status"])
                assert "same-origin" in reply.headers["Cross-Origin-Opener-Policy"]
        assert statuses == ["MISS", "HIT"]

        messages = [json.dumps({"keypoints": np.asarray(p).tolist(), "width": 640,
                                "height": 480, "k": 3}) for p in bank.keypoints[:20]]
        stop = threading.Event()
        # Round robin puts two new sockets on different replicas: one of them loses its own.
        clients = [PageLikeClient(base.replace("http:", "ws:") + "/api/stream", messages, stop)
                   for _ in range(2)]
        # Counts of matches waited for, not fixed times (1.5 s for 10 matches, then 2 s for
        # 20 after the kill): how many fit in a second is the machine's pace, not nginx's.
        def counts() -> list[int]:
            return [len(c.matches) for c in clients]

        for client in clients:  # the first connected before the second opens
            client.start()
            wait_until(lambda client=client: client.matches, counts)
        wait_until(lambda: min(counts()) >= 10, counts)
        killed_at = time.monotonic()
        replicas[0].stop(signal.SIGKILL)  # mid-stream, without a goodbye

        def after_the_loss() -> list[int]:
            """Each client's matches after the kill and after its own reconnection."""
            return [sum(t > max([killed_at, *c.closed]) for t in c.matches) for c in clients]

        wait_until(lambda: min(after_the_loss()) >= 20,
                   lambda: (after_the_loss(), [c.closed for c in clients]))
        stop.set()
        for client in clients:
            client.join(timeout=120)
        lost = [c for c in clients if any(t >= killed_at for t in c.closed)]
        assert len(lost) == 1, [c.closed for c in clients]  # the killed replica's client
        for client in clients:
            assert not client.errors, client.errors
        # Health still answers, from the replica left.
        assert wait_for(f"{base}/api/health", 60)["bank_version"] == bank.generation


def test_a_rolling_update_never_shows_a_missing_picture_through_nginx(nginx_binary, bank_dir,
                                                                      bank, tmp_path):
    # A copy of the bank on each machine; the first has the new version and its replica is
    # restarted on it, the second not yet: a page on the first gets a new pose, and nginx
    # sends the request for its picture to either replica.
    copies = [tmp_path / "machine-1", tmp_path / "machine-2"]
    for copy in copies:
        shutil.copytree(bank_dir, copy)
    writer = PoseBank.load(copies[0])
    pictures = []
    for i in range(6):
        picture = io.BytesIO()
        Image.new("RGB", (40, 60), (200, 30 * i, 30)).save(picture, "JPEG")
        pictures.append(picture.getvalue())
    bigger = bank.keypoints[:6].copy()
    bigger[..., :2] *= 1.5
    writer.add(bigger, ids=[f"new-{i}" for i in range(6)],
               meta={"image": pictures, "thumbnail": [f"thumbs/new-{i}.jpg" for i in range(6)]})
    writer.save()
    replicas = [Replica(copy) for copy in copies]
    with ExitStack() as stack:
        for replica in replicas:
            stack.callback(replica.stop)
        base = stack.enter_context(nginx_before(nginx_binary, replicas, tmp_path))
        versions = {wait_for(f"http://{HOST}:{r.port}/api/health")["bank_version"]
                    for r in replicas}
        assert versions == {bank.generation, writer.generation}  # mid-update
        statuses = []
        for i in range(6):  # round robin: each replica is asked first in turn
            try:
                with urllib.request.urlopen(f"{base}/bank/thumbs/new-{i}.jpg") as reply:
                    statuses.append(reply.status)
                    assert reply.read() == pictures[i]
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert statuses == [200] * 6
        with pytest.raises(urllib.error.HTTPError) as missing:  # in neither: still a 404
            urllib.request.urlopen(f"{base}/bank/thumbs/nowhere.jpg")
        assert missing.value.code == 404
