"""movemirror: find the photo or video frame whose pose matches yours."""

from __future__ import annotations

__version__ = "0.1.0"  # the one home of the version: pyproject.toml and the API read it

__all__ = ["PoseBank", "estimate", "__version__"]


def __getattr__(name: str):
    # Lazy, so that `import movemirror` does not load ONNX Runtime or pyarrow until needed.
    if name == "PoseBank":
        from movemirror.bank import PoseBank

        return PoseBank
    if name == "estimate":
        from movemirror.pose import estimate

        return estimate
    raise AttributeError(f"module 'movemirror' has no attribute {name!r}")
