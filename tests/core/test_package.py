"""What `import movemirror` offers a programmer, as help() and dir() show it."""

from __future__ import annotations

import pydoc

import movemirror


def test_help_and_dir_show_the_public_entry_points():
    # PoseBank and estimate are loaded lazily; help(movemirror) once listed neither (only a
    # __getattr__ function), nor did dir(movemirror), so a reader could not find them.
    text = pydoc.render_doc(movemirror, renderer=pydoc.plaintext)
    for name in ("PoseBank", "estimate", "movemirror.errors", "MovemirrorError"):
        assert name in text, name
    assert {"PoseBank", "estimate", "__version__"} <= set(dir(movemirror))
    assert movemirror.PoseBank.__name__ == "PoseBank"


def test_help_on_the_bank_says_how_to_make_one_and_what_search_takes_and_raises():
    # help(PoseBank) once showed only the constructor's internal signature (records,
    # vectors, ...) as the way in, and help(PoseBank.search) named no metric but likeness and
    # no error it raises.
    from movemirror.distances import SEARCH_METRICS

    bank = pydoc.render_doc(movemirror.PoseBank, renderer=pydoc.plaintext)
    assert "PoseBank.from_keypoints(keypoints" in bank and "PoseBank.load(path)" in bank
    search = pydoc.render_doc(movemirror.PoseBank.search, renderer=pydoc.plaintext)
    for word in (*(f'"{metric}"' for metric in SEARCH_METRICS), "PoseError",
                 "UnknownMetricError", "InvalidArgumentError", "record(row)"):
        assert word in search, word


def test_help_on_the_bank_describes_every_public_method_and_property():
    # PoseBank.concat had no docstring, no caller and no mention in the README, and
    # concat([]) raised pyarrow's ArrowInvalid; it was removed (add() appends).
    import inspect

    undocumented = [name for name, member in vars(movemirror.PoseBank).items()
                    if not name.startswith("_")
                    and not inspect.getdoc(getattr(member, "__func__", member))]
    assert undocumented == []


def _loaded_by(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of some top-level modules a fresh interpreter holds after one statement."""
    import subprocess
    import sys

    code = f"import sys; {statement}; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split()


def test_import_movemirror_loads_no_heavy_library():
    # PoseBank and estimate load on first use, so that `import movemirror` (a CLI's --help, a
    # script that only reads movemirror.errors) costs milliseconds, not numba, pyarrow or ONNX;
    # and estimate's own imports (ONNX Runtime, PIL) stay without numba and pyarrow, which
    # only the bank needs (a helper's import of movemirror.vectors once added 0.8 s here).
    heavy = ("numpy", "numba", "pyarrow", "lance", "onnxruntime", "PIL", "scipy", "ray",
             "torch", "umap", "fastapi")
    assert _loaded_by("import movemirror, movemirror.errors", heavy) == []
    bank_only = ("numba", "pyarrow", "lance", "ray", "torch", "umap", "fastapi")
    assert _loaded_by("from movemirror import estimate", bank_only) == []
