"""The errors pose estimation raises."""

from __future__ import annotations


class ImageError(ValueError):
    """An image that cannot be used: unreadable, truncated, not an image, or a bad array.

    The message names the file (or says the input was an array or a PIL image).
    """


class ModelMissingError(FileNotFoundError):
    """An ONNX model that is not on this machine (or is damaged): run `make setup-models`."""
