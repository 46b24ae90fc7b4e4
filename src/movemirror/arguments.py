"""Checks of the numbers a programmer passes to the library, with errors that name them."""

from __future__ import annotations

import numbers

from movemirror.errors import InvalidArgumentError


def whole_number(value, name: str, minimum: int = 1) -> int:
    """value as an int; InvalidArgumentError naming `name` unless it is a whole number (an int or a
    numpy integer, not a bool or a float) of at least `minimum`."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be a whole number ({minimum} or more), "
                                   f"not {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, not {value}")
    return int(value)
