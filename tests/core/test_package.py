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
