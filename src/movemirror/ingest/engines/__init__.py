"""Where units of work run: `local` (a process pool on this machine, the default, needing
nothing more) or `ray` (a Ray cluster, or Ray started on this machine; `movemirror[cluster]`).

An engine takes the units the ledger lacks and yields one UnitResult per unit, in any order;
the run (movemirror.ingest.run) commits them. Engines never write the bank.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from movemirror.ingest.work import Settings, Unit, UnitResult

ENGINES = ("local", "ray")
DEFAULT_ENGINE = ENGINES[0]


class Engine(Protocol):
    name: str

    def describe(self) -> str: ...
    def run(self, units: list[Unit], settings: Settings) -> Iterator[UnitResult]: ...


def make_engine(name: str = DEFAULT_ENGINE, *, workers: int = 0, address: str | None = None,
                device: str = "auto") -> Engine:
    """The engine called `name`; workers=0 means one per core (per CPU of the cluster)."""
    from movemirror.errors import IngestError

    if name == "local":
        if address:
            raise IngestError("--address is for --engine ray")
        from movemirror.ingest.engines.local import LocalEngine

        return LocalEngine(workers, device)
    if name == "ray":
        from movemirror.ingest.engines.ray import RayEngine

        return RayEngine(address, workers, device)
    raise IngestError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
