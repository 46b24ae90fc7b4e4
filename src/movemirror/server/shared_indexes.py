"""Search indexes built once per bank version and shared by the processes of `serve --workers N`.

The supervising process makes a folder in shared memory (/dev/shm where there is one) and,
in a process started for it, builds every metric's index of the bank's version into a
subfolder of its own: the arrays in one file, the rest (small) pickled. Each worker maps
that file copy-on-write, so the arrays' pages are the same pages in every worker, and builds
nothing. A worker that opens a version no process has published yet (a commit while it
started, or each new version under `--follow`) has that version's indexes built and
published the same way, holding a lock on the folder, so the other workers wait and map
them instead of building their own (each would keep hundreds of MB at 80,000 poses);
publishing a version removes the folders of the others (a worker still searching an older
version keeps its mapping: the pages go when it unmaps them).
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from movemirror.bank import PoseBank, storage
from movemirror.distances import SEARCH_METRICS

ARRAYS = "arrays.bin"
LAYOUT = "layout.pickle"
ALIGN = 64  # bytes: each array starts on a cache line
SHARED_MEMORY = Path("/dev/shm")
LOCK = ".lock"


def build_shared_indexes(bank: PoseBank) -> Path:
    """Builds every metric's index of the bank and publishes them in a new folder in shared
    memory (remove it with remove_shared_indexes once the workers have stopped)."""
    where = SHARED_MEMORY if SHARED_MEMORY.is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="movemirror-indexes-", dir=where))
    publish_indexes(bank, root)
    return root


def build_shared_indexes_apart(location: str, index_kind: str) -> Path:
    """build_shared_indexes for the bank at location (its latest version), in a process of
    its own: building leaves compiled code and allocator pools behind (hundreds of MB at
    160,000 poses) that the supervising process would otherwise keep for good."""
    return _apart(_build_at, location, index_kind)


def _apart(work, *args):
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(work, *args).result()


def _build_at(location: str, index_kind: str) -> Path:
    return build_shared_indexes(PoseBank.load(location, index=index_kind))


def remove_shared_indexes(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


def version_folder(root: Path, generation: str) -> Path:
    """Where the indexes of the bank version named generation are published under root."""
    return root / ("version-" + re.sub(r"[^A-Za-z0-9._-]", "_", generation))


def share_indexes(bank: PoseBank, root: Path) -> bool:
    """Search the bank with its version's indexes published under root: mapped when some
    process has published them, else built and published first (in a process of its own, as
    build_shared_indexes_apart does, when the bank was opened from a path), so that one
    process builds a version and the rest wait for it on root's lock and map it. True when
    they were there already, False when this call built them."""
    folder = version_folder(root, str(bank.generation))
    with open(root / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if (folder / LAYOUT).is_file() and load_indexes(bank, folder):
            return True
        if bank.path is None:
            publish_indexes(bank, root)
        else:
            # A format-1 bank has one version (read-only): its latest.
            version = int(bank.generation) if bank.format == 2 and bank.generation else None
            _apart(_publish_at, storage.location_of(bank.path), version, bank.index_kind, root)
        load_indexes(bank, folder)
    return False


def _publish_at(location: str, version: int | None, index_kind: str, root: Path) -> None:
    publish_indexes(PoseBank.load(location, version=version, index=index_kind), root)


def publish_indexes(bank: PoseBank, root: Path) -> None:
    """Builds every metric's index of the bank into root's folder for its version (replacing
    any there), then removes the other versions' folders."""
    for metric in SEARCH_METRICS:
        bank.index(metric)
    folder = version_folder(root, str(bank.generation))
    unfinished = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    save_indexes(bank, unfinished)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(unfinished, folder)
    for other in root.iterdir():
        if other.is_dir() and other != folder:
            shutil.rmtree(other, ignore_errors=True)


def save_indexes(bank: PoseBank, folder: Path) -> None:
    """The bank's built indexes into folder: their arrays out of band, in ARRAYS."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(bank.built_indexes(), protocol=5, buffer_callback=buffers.append)
    spans = []
    with open(folder / ARRAYS, "wb") as out:
        for buffer in buffers:
            raw = buffer.raw()
            out.write(b"\0" * (-out.tell() % ALIGN))
            spans.append((out.tell(), raw.nbytes))
            out.write(raw)
    (folder / LAYOUT).write_bytes(
        pickle.dumps((bank.generation, len(bank), spans, data), protocol=5))


def load_indexes(bank: PoseBank, folder: Path) -> bool:
    """Search the bank with the indexes save_indexes wrote to folder, their arrays mapped
    copy-on-write (shared pages); False, adopting nothing, when they were built from another
    version of the bank. The folder is written by the processes of this machine's own
    `serve`: its pickle is trusted like the code."""
    generation, size, spans, data = pickle.loads((folder / LAYOUT).read_bytes())
    if generation != bank.generation or size != len(bank):
        return False
    buffers = []
    if spans:  # an empty file cannot be mapped
        mapped = np.memmap(folder / ARRAYS, mode="c")
        buffers = [mapped[start:start + nbytes] for start, nbytes in spans]
    bank.adopt_indexes(pickle.loads(data, buffers=buffers))
    return True
