"""serve --workers N: the indexes built once, mapped by every worker, searching as their own."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from websockets.sync.client import connect

from movemirror.bank import PoseBank
from movemirror.bench.server_process import ServerProcess
from movemirror.distances import METRICS, check_metric
from movemirror.server.shared_indexes import (
    ARRAYS,
    build_shared_indexes,
    load_indexes,
    remove_shared_indexes,
    share_indexes,
    version_folder,
)


def _inside_file(array: np.ndarray, path: Path) -> bool:
    """Whether the array's memory is a mapping of that file in this process."""
    address = array.__array_interface__["data"][0]
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[-1] == str(path):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return True
    return False


def test_a_worker_searches_with_the_supervisors_indexes_mapped_from_shared_memory(bank_dir):
    built = PoseBank.load(bank_dir)
    root = build_shared_indexes(built)
    folder = version_folder(root, built.generation)
    try:
        worker = PoseBank.load(bank_dir)
        assert share_indexes(worker, root)  # mapped, not built
        rng = np.random.default_rng(1)
        queries = built.keypoints[rng.integers(0, len(built), 30)].copy()
        queries[..., :2] += rng.normal(0, 3, queries[..., :2].shape)
        for metric in METRICS:
            adopted = worker.built_indexes()[metric][0]
            assert adopted is not built.built_indexes()[metric][0]
            assert _inside_file(adopted.vectors, folder / ARRAYS)  # mapped, not copied
            usable = [p is None for p in check_metric(metric).problems(queries)]
            mine = built.search(queries[usable], k=7, metric=metric, mirror=True)
            theirs = worker.search(queries[usable], k=7, metric=metric, mirror=True)
            assert np.array_equal(mine.indices, theirs.indices)
            assert np.allclose(mine.distances, theirs.distances)
            assert np.array_equal(mine.mirrored, theirs.mirrored)
    finally:
        remove_shared_indexes(root)
    assert not root.exists()


def test_indexes_of_another_bank_version_are_not_adopted(bank_dir, tmp_path):
    built = PoseBank.load(bank_dir)
    root = build_shared_indexes(built)
    try:
        other = PoseBank.from_keypoints(built.keypoints[:50])
        other.save(tmp_path / "other")
        other = PoseBank.load(tmp_path / "other")
        assert not load_indexes(other, version_folder(root, built.generation))
        assert other.built_indexes() == {}
    finally:
        remove_shared_indexes(root)


def _appended(bank_dir: Path, folder: Path) -> PoseBank:
    """A copy of the bank at folder with a version appended: one of its poses, moved."""
    shutil.copytree(bank_dir, folder)
    writer = PoseBank.load(folder)
    pose = writer.keypoints[3].copy()
    pose[:, :2] += 7.0
    writer.add(pose[None], ids=["appended"])
    writer.save()
    return writer


def test_a_new_version_is_built_by_one_process_and_mapped_by_the_others(bank_dir, tmp_path):
    # What the workers of `serve --workers N --follow` do when a version is committed: the
    # first to open it builds and publishes its indexes, the rest wait and map them.
    root = build_shared_indexes(PoseBank.load(bank_dir))
    old = version_folder(root, PoseBank.load(bank_dir).generation)
    try:
        newest = _appended(bank_dir, tmp_path / "bank")
        workers = [PoseBank.load(tmp_path / "bank") for _ in range(3)]
        mapped: list[bool] = []
        threads = [threading.Thread(target=lambda b=b: mapped.append(share_indexes(b, root)))
                   for b in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(mapped) == [False, True, True]  # one built, two mapped
        folder = version_folder(root, newest.generation)
        for worker in workers:  # the builder maps the published copy too
            assert _inside_file(worker.built_indexes()["cosine"][0].vectors, folder / ARRAYS)
        found = workers[1].search(newest.keypoints[-1:], k=1, metric="cosine")
        assert found.indices[0, 0] == len(newest) - 1
        assert not old.exists()  # the older version's folder goes once a newer is published
    finally:
        remove_shared_indexes(root)


def _mapped_files(pid: int) -> set[str]:
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {line.split()[-1] for line in lines if len(line.split()) >= 6}


@pytest.mark.slow
def test_serve_with_two_workers_maps_one_copy_of_the_indexes(bank_dir, bank):
    with ServerProcess(bank_dir, workers=2) as server:
        assert server.process is not None
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        workers = [int(p) for p in children.read_text().split()]
        shared = [{f for f in _mapped_files(pid) if "movemirror-indexes-" in f}
                  for pid in workers]
        shared = [files for files in shared if files]
        assert len(shared) == 2 and shared[0] == shared[1], shared  # the same file in both
        with connect(f"ws://127.0.0.1:{server.port}/api/stream") as ws:
            ws.send(json.dumps({"id": 1, "keypoints": bank.keypoints[5].tolist(),
                                "width": 640, "height": 480, "k": 3}))
            reply = json.loads(ws.recv(timeout=30))
        assert reply["type"] == "matches" and reply["matches"][0]["id"] == bank.ids[5]
        url = f"http://127.0.0.1:{server.port}/api/health"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.status == 200
    assert not Path(next(iter(shared[0]))).exists()  # removed when the server stopped


def _health_by_worker(port: int, rounds: int = 40) -> dict[int, str]:
    versions: dict[int, str] = {}
    for _ in range(rounds):  # the kernel spreads connections over the workers
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as reply:
            health = json.load(reply)
        versions[health["worker"]] = health["bank_version"]
    return versions


@pytest.mark.slow
def test_serve_with_two_workers_following_maps_one_copy_of_each_new_version(bank_dir, tmp_path):
    folder = tmp_path / "bank"
    shutil.copytree(bank_dir, folder)
    with ServerProcess(folder, workers=2, options=("--follow",)) as server:
        assert server.process is not None
        writer = PoseBank.load(folder)
        writer.add(writer.keypoints[3:4] + np.array([7.0, 7.0, 0.0]), ids=["appended"])
        writer.save()
        # Each worker's latest answer, kept across rounds: on a busy machine one worker can
        # accept every connection of a round, and the other's answer must still be waited for.
        versions: dict[int, str] = {}
        deadline = time.monotonic() + 120
        while len(versions) < 2 or set(versions.values()) != {writer.generation}:
            assert time.monotonic() < deadline, versions
            versions.update(_health_by_worker(server.port))
            time.sleep(0.5)
        assert len(versions) == 2
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        workers = [int(p) for p in children.read_text().split()]
        new = f"version-{writer.generation}/{ARRAYS}"
        shared = [{f for f in _mapped_files(pid) if "movemirror-indexes-" in f}
                  for pid in workers]
        shared = [files for files in shared if files]  # the workers (not the resource tracker)
        mapped = [{f for f in files if f.endswith(new)} for files in shared]
        assert len(mapped) == 2 and len(mapped[0]) == 1 and mapped[0] == mapped[1], shared
