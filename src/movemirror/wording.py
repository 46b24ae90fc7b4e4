"""Words for people: a count and its noun, in the singular where there is one; a list of
names as a sentence says it."""

from __future__ import annotations

from collections.abc import Iterable


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 photo", "2 photos", "1,250 files", "2 worker processes" (plural given): a count
    and its noun; the plural is the noun with an s unless given."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"


def either(names: Iterable[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
