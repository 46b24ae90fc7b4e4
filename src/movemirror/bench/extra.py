"""What the benchmarks and dataset loaders need beyond the core install: the `bench` extra.

pyproject.toml is the one list of those packages; this reads it back from the installed
package's metadata, so `movemirror bench ...` can say what is missing before it starts.
"""

from __future__ import annotations

import re
from importlib import metadata

EXTRA = "bench"
INSTALL_HINT = "pip install 'movemirror[bench]'"
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']bench["']""")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def bench_requirements() -> list[str]:
    """The distribution names the `bench` extra requires ([] if movemirror is not installed)."""
    try:
        requirements = metadata.requires("movemirror") or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for requirement in requirements:
        name = _NAME.match(requirement)
        if name and _EXTRA_MARKER.search(requirement):
            names.append(name.group(0))
    return names


def missing_bench_packages() -> list[str]:
    """The packages of the `bench` extra that are not installed."""
    missing = []
    for name in bench_requirements():
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing
