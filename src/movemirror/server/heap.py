"""Keeping Python's garbage collector out of the tail latency of a busy server.

A server process holds a few hundred thousand long-lived objects (the app, pyarrow, numba's
compiled code, the bank's records). CPython's full collection walks every one of them, and
under load it runs every few seconds: a stop-the-world pause of 45-780 ms measured on this
server (`movemirror bench serve`, 200 clients), far beyond the latency it aims for.
Moving what exists once the server is ready into the permanent generation (gc.freeze)
leaves the collector only the objects made since, which are few.

Frozen objects are still freed when nothing refers to them, but a frozen cycle never is:
a server that drops much of what it loaded (serve --follow, replacing its bank) thaws the
heap, collects once and freezes again.
"""

from __future__ import annotations

import gc


def freeze_the_heap() -> int:
    """Collect once, then exempt every surviving object from later collections (process-wide;
    call when the server is ready to serve). Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def refreeze_the_heap() -> int:
    """Thaw, collect once (the cycles dropped since the last freeze), freeze again: one full
    collection's pause. Returns how many objects are frozen now."""
    gc.unfreeze()
    return freeze_the_heap()
