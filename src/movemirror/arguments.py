"""Checks of the numbers and flags a programmer passes to the library, with errors that name
them."""

from __future__ import annotations

import numbers

import numpy as np

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


def flag(value, name: str) -> bool:
    """value as a bool; InvalidArgumentError naming `name` unless it is True or False (a bool or
    a numpy bool): a string such as "no" would otherwise count as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgumentError(f"{name} must be True or False, not {value!r}")
    return bool(value)
