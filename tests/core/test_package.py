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
