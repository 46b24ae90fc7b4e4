"""serve --follow: pick up each new version of the bank while serving, dropping no connection.

A task polls the bank's newest version; when it changes, the new version is loaded and its
indexes built (or, under `serve --workers`, mapped from the worker that built them:
movemirror.server.shared_indexes) and warmed in a thread, then the server's bank, matcher
and formatter are swapped in one step of the event loop. A search already under way
finishes on the old matcher (closed a grace period later). A bank only grows by appends, so
the rows of a result found just before the swap still name the same poses after it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from movemirror.bank import PoseBank, storage
from movemirror.errors import BankError, InvalidArgumentError
from movemirror.server.heap import refreeze_the_heap
from movemirror.server.matcher import Matcher
from movemirror.server.records import MatchFormatter
from movemirror.server.shared_indexes import share_indexes
from movemirror.server.state import ServerState

POLL_SECONDS = 1.0
GRACE_SECONDS = 30.0  # how long a replaced matcher lives on for searches under way

log = logging.getLogger(__name__)


async def follow(state: ServerState, poll_seconds: float = POLL_SECONDS,
                 grace_seconds: float = GRACE_SECONDS,
                 shared_indexes: Path | None = None) -> None:
    """Run until cancelled: reload the bank whenever a newer version is committed.
    shared_indexes: the folder the processes of `serve --workers` share indexes in."""
    path = state.bank.path
    if path is None:
        raise InvalidArgumentError("serve --follow needs a bank loaded from a path")
    retiring: set[asyncio.Task] = set()
    failing = False  # said once, not every poll, until the bank opens again
    try:
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                newest = await asyncio.to_thread(storage.current_generation, path)
                if newest == state.bank.generation:
                    failing = _opens_again(failing)
                    continue
                bank, matcher = await asyncio.to_thread(_prepare, path, state.bank.index_kind,
                                                        shared_indexes)
            except BankError as error:  # moved away, damaged, a commit under way on a store
                if not failing:         # without atomic commits...
                    log.warning("serve --follow: cannot open the bank: %s (still serving "
                                "version %s; said again once it opens)", error,
                                state.bank.generation)
                failing = True
                continue
            failing = _opens_again(failing)
            old = state.matcher
            state.bank, state.matcher, state.formatter = bank, matcher, MatchFormatter(bank)
            state.reloads += 1
            task = asyncio.create_task(_close_later(old, grace_seconds))
            retiring.add(task)
            task.add_done_callback(retiring.discard)
            del old, bank, matcher  # the old bank goes once its last search is done
    finally:
        for task in retiring:
            task.cancel()


def _opens_again(failing: bool) -> bool:
    if failing:  # a warning too: only warnings reach the log under `serve`
        log.warning("serve --follow: the bank opens again")
    return False


def _prepare(path, index: str, shared_indexes: Path | None) -> tuple[PoseBank, Matcher]:
    bank = PoseBank.load(path, index=index)
    if shared_indexes is not None:
        share_indexes(bank, shared_indexes)
    matcher = Matcher(bank)
    matcher.warm()
    return bank, matcher


async def _close_later(matcher: Matcher, seconds: float) -> None:
    try:
        await asyncio.sleep(seconds)
    finally:
        matcher.close()
    del matcher
    refreeze_the_heap()  # the old bank's cycles were frozen with it at start
