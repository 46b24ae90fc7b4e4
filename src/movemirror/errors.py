"""Every error movemirror raises on purpose, under one base (as sklearn.exceptions does).

`except MovemirrorError` catches them all; each class is named for what went wrong, and each
keeps the builtin base it always had (a PoseError is still a ValueError, a ModelMissingError
still a FileNotFoundError), so existing `except` clauses go on working.
"""

from __future__ import annotations


class MovemirrorError(Exception):
    """The base of every error movemirror raises deliberately; the message names the cause."""


class InvalidArgumentError(MovemirrorError, ValueError):
    """An argument the caller passed that cannot be taken (a k, an option's name, ids or
    metadata that do not fit the poses); the message names the argument and what it takes."""


class SpecError(InvalidArgumentError):
    """A value written in a small language that cannot be read (a quality benchmark's side or
    pipeline): `wanted` says what it takes, `text` is the part that is not that, so an
    option's error can say `--pipeline takes <wanted>, not '<text>'`."""

    def __init__(self, kind: str, wanted: str, text: str):
        super().__init__(f"{kind} takes {wanted}, not {text!r}")
        self.wanted, self.text = wanted, text


class InvalidTypeError(MovemirrorError, TypeError):
    """An argument of a type the call cannot take (a row that is not a whole number, an image
    that is not a path, a PIL image or an array); the message says what it takes."""


class RowError(MovemirrorError, IndexError):
    """A bank row that is not there (a bank's rows are 0 to len(bank) - 1)."""


class PoseError(MovemirrorError, ValueError):
    """A pose that cannot be turned into a vector (degenerate, malformed or too uncertain)."""


class UnknownMetricError(MovemirrorError, ValueError):
    """A distance name that is not in movemirror.distances.METRICS."""


class UnknownIndexError(MovemirrorError, ValueError):
    """An index kind that is not in movemirror.index.INDEX_KINDS."""


class BankError(MovemirrorError):
    """A bank directory that is missing, damaged, truncated or of an unknown version."""


class ImageError(MovemirrorError, ValueError):
    """An image that cannot be used: unreadable, truncated, not an image, or a bad array.

    The message names the file (or says the input was an array or a PIL image).
    """


class ModelMissingError(MovemirrorError, FileNotFoundError):
    """An ONNX model that is not on this machine (or is damaged): run `make setup-models`."""


class DeviceError(MovemirrorError, ValueError):
    """A device (`--device`) that is unknown or cannot run here; the message says what is
    missing."""


class DecodeError(MovemirrorError):
    """A media file that cannot be decoded; the message says why, for the run's report."""


class AttributionError(MovemirrorError, ValueError):
    """A sidecar file that cannot be read; the message names the file and the problem."""


class IngestError(MovemirrorError):
    """An indexing run that cannot start (bank damaged or busy); the message says what to do."""


class NothingToIndexError(IngestError):
    """The sources hold no photo or video (a folder of documents, an empty mount point)."""

    def __init__(self, sources: list[str], skipped: list[tuple[str, str]]):
        self.skipped = skipped  # (path, reason) of the files refused
        refused = f"; {len(skipped)} refused, see why above" if skipped else ""
        super().__init__(f"no photo or video in {', '.join(sources)}{refused} (nothing was "
                         "indexed)")


class ClusterError(IngestError):
    """A Ray cluster that cannot run the plan: Ray missing, unreachable, or too few CPUs."""


class DatasetMissingError(MovemirrorError, FileNotFoundError):
    """A data set that is not on this machine."""


class MotionError(MovemirrorError, ValueError):
    """A movement that cannot be searched (too few poses, times not increasing) or a bank
    track that cannot be one (two poses at the same time)."""


class QueryLogError(MovemirrorError, ValueError):
    """A query log (serve --log-queries) that cannot be read or written; the message names
    the file."""
