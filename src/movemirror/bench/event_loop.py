"""Running a benchmark's coroutine to its end from synchronous code, wherever it is called."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_on_new_loop(coroutine):
    """Runs the coroutine to its end on a new event loop (uvloop when installed). A thread
    that already has a running loop cannot start another (Playwright's sync API, for one,
    marks its loop as running in the calling thread for as long as it is open), so there
    the coroutine runs on a thread of its own, and this call waits for it."""
    run: Callable[[Any], Any]
    try:
        import uvloop
        run = uvloop.run
    except ImportError:
        run = asyncio.run
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-serve") as pool:
        return pool.submit(run, coroutine).result()
