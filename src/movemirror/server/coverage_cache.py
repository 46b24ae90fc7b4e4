"""The bank's coverage map for the page (movemirror.coverage.page_map), computed once per
server process on the first request, in a thread: a UMAP fit takes a minute here, and the
event loop goes on serving searches meanwhile."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class CoverageCache:
    """The bank's page map, computed once (method None: UMAP where installed, else PCA)."""

    method: str | None = None
    result: object = None  # PageMap, once computed
    json: dict | None = None
    error: str | None = None
    _started: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, bank) -> bool:
        """Starts the computation unless it has started; True once the map is ready."""
        with self._lock:
            if self.json is not None or self.error is not None:
                return True
            if not self._started:
                self._started = True
                asyncio.get_running_loop().run_in_executor(None, self._compute, bank)
        return False

    def _compute(self, bank) -> None:
        from movemirror.coverage.page_map import page_map

        try:
            view = page_map(bank, self.method)
            self.result, self.json = view, view.as_json()
        except ValueError as error:  # too few poses for a map
            self.error = str(error)
