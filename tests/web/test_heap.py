"""A started server leaves the garbage collector only the objects made since it started."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from movemirror.server import create_app
from movemirror.server.heap import freeze_the_heap, refreeze_the_heap


def test_a_started_server_exempts_what_it_loaded_from_full_collections(bank):
    gc.unfreeze()
    gc.collect()  # what earlier tests left: not to be counted as loaded
    tracked_before = len(gc.get_objects())
    try:
        with TestClient(create_app(bank, web_modules=None)) as client:
            frozen = gc.get_freeze_count()
            still_collected = len(gc.get_objects())
            assert client.get("/api/health").status_code == 200
    finally:
        gc.unfreeze()
    assert frozen >= 0.9 * tracked_before  # all that came before, the app and its bank
    assert still_collected < frozen / 20  # what a full collection still has to walk


class _Node:
    pass


def test_a_frozen_cycle_dropped_later_goes_only_when_the_heap_is_refrozen():
    node = _Node()
    node.itself = node  # a cycle: only the collector frees it
    gone = weakref.ref(node)
    try:
        freeze_the_heap()
        del node
        gc.collect()
        kept_while_frozen = gone() is not None
        refreeze_the_heap()
        freed = gone() is None
    finally:
        gc.unfreeze()
    assert kept_while_frozen and freed
