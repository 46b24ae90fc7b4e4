"""Search indexes built once and shared by the processes of `serve --workers N`.

A process started for it builds every metric's index and writes it to a folder in shared
memory (/dev/shm where there is one): the arrays in one file, the rest (small) pickled.
Each worker maps that file copy-on-write, so the arrays' pages are the same pages in every
worker, and builds nothing. A worker that opened another version of the bank than the one
the indexes were built from builds its own (PoseBank.index does, on first use).
"""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from movemirror.bank import PoseBank
from movemirror.distances import SEARCH_METRICS

ARRAYS = "arrays.bin"
LAYOUT = "layout.pickle"
ALIGN = 64  # bytes: each array starts on a cache line
SHARED_MEMORY = Path("/dev/shm")


def build_shared_indexes(bank: PoseBank) -> Path:
    """Builds every metric's index of the bank and writes them to a new folder in shared
    memory (remove it with remove_shared_indexes once the workers have stopped)."""
    for metric in SEARCH_METRICS:
        bank.index(metric)
    where = SHARED_MEMORY if SHARED_MEMORY.is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="movemirror-indexes-", dir=where))
    save_indexes(bank, folder)
    return folder


def build_shared_indexes_apart(location: str, index_kind: str) -> Path:
    """build_shared_indexes for the bank at location (its latest version), in a process of
    its own: building leaves compiled code and allocator pools behind (hundreds of MB at
    160,000 poses) that the supervising process would otherwise keep for good."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(_build_at, location, index_kind).result()


def _build_at(location: str, index_kind: str) -> Path:
    return build_shared_indexes(PoseBank.load(location, index=index_kind))


def remove_shared_indexes(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


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
    version of the bank. The folder is written by this machine's own supervising process:
    its pickle is trusted like the code."""
    generation, size, spans, data = pickle.loads((folder / LAYOUT).read_bytes())
    if generation != bank.generation or size != len(bank):
        return False
    buffers = []
    if spans:  # an empty file cannot be mapped
        mapped = np.memmap(folder / ARRAYS, mode="c")
        buffers = [mapped[start:start + nbytes] for start, nbytes in spans]
    bank.adopt_indexes(pickle.loads(data, buffers=buffers))
    return True
