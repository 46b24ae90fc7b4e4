"""The lock `movemirror index` holds on a local bank's folder while it writes there.

An advisory lock (flock) on BANK/.index.lock: the kernel releases it when its process ends,
however it ends (kill -9 included), so the file a dead run leaves behind blocks no one. A
folder holding that file and no bank is one where a run began and has not saved yet (it is at
work, or it stopped before its first save): no_bank_yet() says which.
"""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

from movemirror.errors import IngestError

LOCK = ".index.lock"
# How long a run waits for the lock before calling the bank busy: longer than held() keeps it.
WAIT_SECONDS = 1.0


class exclusive:
    """The lock for one run: two runs never write one bank."""

    def __init__(self, bank_dir: Path):
        self.path = bank_dir / LOCK

    def __enter__(self):
        try:
            self.handle = open(self.path, "a")
        except OSError as error:  # a read-only folder
            raise IngestError(f"{self.path.parent}: cannot write to the bank's folder: "
                              f"{error.strerror or error} (nothing was indexed)") from None
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() < deadline:  # held() looking for a moment
                    time.sleep(0.05)
                    continue
                self.handle.close()
                raise IngestError(f"{self.path.parent}: another `movemirror index` is writing "
                                  "this bank; wait for it to finish") from None

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def held(folder: Path) -> bool:
    """Whether a run holds the folder's lock now (taken and released at once to find out)."""
    try:
        handle = open(folder / LOCK)
    except OSError:  # no lock file (or unreadable): no run of this machine's kind here
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def no_bank_yet(folder: Path) -> str | None:
    """For a local folder without a bank: what a run's lock there says of it, or None if
    there is none."""
    if not (folder / LOCK).is_file():
        return None
    if held(folder):
        return ("no bank yet: a `movemirror index` run is writing it and has not saved its "
                "first poses; try again once it has")
    return ("no bank yet: a `movemirror index` run began it and stopped before its first "
            "save; run the same `movemirror index` command again to index from the start")
