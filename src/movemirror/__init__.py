"""movemirror: find the photo or video frame whose pose matches yours.

    PoseBank   poses with their metadata: build (from_keypoints, add), save and load a bank,
               search it by one pose (search) or by a movement (search_motion)
    estimate   the poses in a photo (a path, PIL image or RGB array); movemirror.pose's
               PoseEstimator reuses its models for many
    movemirror.errors  what the library raises on purpose: `except MovemirrorError` catches
               them all (PoseError, BankError, UnknownMetricError, ImageError, ...)

Both names are loaded on first use, so that `import movemirror` stays light.
"""

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


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
