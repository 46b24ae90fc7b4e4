"""The package's shape (../shared/design/layout.md): data flows down the floors, the core never
imports its CLI, and only cli/ prints or exits. Read from the source, so a new import that
breaks a rule fails here with the file that made it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import movemirror

PACKAGE = Path(movemirror.__file__).parent

# The core's floors, lowest first: each may import those below it, never those above.
FLOORS = ("keypoints", "vectors", "distances", "index", "bank")
# What sits above the core, each importable only from the packages named.
ABOVE_THE_CORE = {
    "cli": {"__main__"},  # `python -m movemirror`
    "bench": {"cli"},
    "datasets": {"bench"},  # dataset loaders serve benchmarks (and tests), not the core
    "server": {"cli", "bench"},
    "ingest": {"cli", "bench", "coverage"},
    "coverage": {"cli", "bench", "server"},
}


def _modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(PACKAGE)): ast.parse(path.read_text(), str(path))
            for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _home(relative: str) -> str:
    """The top-level module or package a file belongs to: 'bank/storage.py' -> 'bank'."""
    return Path(relative).parts[0].removesuffix(".py")


def _imported_homes(tree: ast.Module) -> set[str]:
    """The movemirror top-level modules a file imports, at its top or inside functions."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names
            if name.startswith("movemirror.") and len(name.split(".")) > 1}


def test_every_file_is_read():
    assert "cli/main.py" in MODULES and "bank/storage.py" in MODULES
    assert len(MODULES) > 100


@pytest.mark.parametrize("floor", FLOORS)
def test_a_floor_of_the_core_imports_nothing_above_it(floor):
    above = set(FLOORS[FLOORS.index(floor) + 1:]) | set(ABOVE_THE_CORE)
    wrong = {relative: sorted(_imported_homes(tree) & above)
             for relative, tree in MODULES.items() if _home(relative) == floor}
    assert {relative: homes for relative, homes in wrong.items() if homes} == {}


@pytest.mark.parametrize("upper", sorted(ABOVE_THE_CORE))
def test_an_upper_package_is_imported_only_from_where_it_serves(upper):
    allowed = ABOVE_THE_CORE[upper] | {upper}
    wrong = sorted(relative for relative, tree in MODULES.items()
                   if upper in _imported_homes(tree) and _home(relative) not in allowed)
    assert wrong == []


def _prints_or_exits(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("print", "exit", "quit"):
                found.append(f"{func.id}() at line {node.lineno}")
            elif (isinstance(func, ast.Attribute) and func.attr == "exit"
                  and isinstance(func.value, ast.Name) and func.value.id in ("sys", "os")):
                found.append(f"{func.value.id}.exit() at line {node.lineno}")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "SystemExit":
                found.append(f"raise SystemExit at line {node.lineno}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if module and module.split(".")[0] == "typer":
                found.append(f"imports typer at line {node.lineno}")
    return found


def test_only_the_cli_prints_or_exits():
    wrong = {relative: _prints_or_exits(tree) for relative, tree in MODULES.items()
             if _home(relative) != "cli"}
    assert {relative: found for relative, found in wrong.items() if found} == {}


def test_the_checks_see_what_they_look_for():
    """The rules' own reader catches each thing it forbids (so a passing run means something)."""
    sample = ast.parse("import sys\nfrom movemirror.cli import main\nimport movemirror.bank.x\n"
                       "def f():\n    print(1)\n    sys.exit(2)\n    raise SystemExit(3)\n"
                       "    import typer\n")
    assert _imported_homes(sample) == {"cli", "bank"}
    assert sorted(_prints_or_exits(sample)) == [
        "imports typer at line 8", "print() at line 5", "raise SystemExit at line 7",
        "sys.exit() at line 6"]
