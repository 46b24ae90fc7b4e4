"""The bank's coverage map for the page (movemirror.coverage.page_map), computed once per
server process on the first request, in a thread: a UMAP fit takes a minute here, and the
event loop goes on serving searches meanwhile."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from movemirror.coverage.page_map import PageMap


@dataclass
class CoverageCache:
    """The bank's page map, computed once per bank (method None: UMAP where installed, else
    PCA); a new bank (serve --follow) starts it afresh."""

    method: str | None = None
    result: PageMap | None = None  # once computed
    json: dict | None = None
    error: str | None = None
    _bank: object = None  # the bank being or last mapped
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, bank) -> bool:
        """Starts the computation for this bank unless it has started; True once ready."""
        with self._lock:
            if self._bank is not bank:
                self._bank, self.result, self.json, self.error = bank, None, None, None
                asyncio.get_running_loop().run_in_executor(None, self._compute, bank)
                return False
            return self.json is not None or self.error is not None

    def _compute(self, bank) -> None:
        from movemirror.coverage.page_map import page_map

        try:
            view = page_map(bank, self.method)
            result, json, error = view, view.as_json(), None
        except ValueError as problem:  # too few poses for a map
            result, json, error = None, None, str(problem)
        with self._lock:
            if self._bank is bank:  # not replaced by a newer bank meanwhile
                self.result, self.json, self.error = result, json, error
