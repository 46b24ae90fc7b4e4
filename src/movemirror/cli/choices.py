"""Help texts that list the library's choices (models, modes, index kinds) from its registries,
so that a model, mode or index added there shows up in every command's help."""

from __future__ import annotations

from movemirror.index import DEFAULT_INDEX, INDEX_KINDS
from movemirror.pose import MODELS, MODES
from movemirror.wording import either

# What each estimator mode costs, for help texts (the modes themselves: movemirror.pose.MODES).
MODE_NOTES = {
    "fast": "one pass a person",
    "crop": "MoveNet's two passes: the whole frame, then a crop around the body",
    "accurate": "mirrored and turned crops, up to 17 passes: several times slower; for "
                "acrobatics",
    "best": "accurate combined with BlazePose Heavy: slower still",
}


def models_help() -> str:
    return f"Pose model: {either(MODELS)}."


def modes_help() -> str:
    described = [f"{mode} ({MODE_NOTES[mode]})" if mode in MODE_NOTES else mode for mode in MODES]
    return f"Estimator mode: {either(described)}."


def index_kinds_help() -> str:
    return f"Search index: {either(INDEX_KINDS)} (default: {DEFAULT_INDEX})."
