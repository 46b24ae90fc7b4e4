"""The columns a caller gives a bank, as Arrow: ids always strings, metadata columns of the
declared type where the schema declares one, whatever Python or numpy types came in."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from movemirror.bank.schema import METADATA_SCHEMA
from movemirror.errors import InvalidArgumentError

# Metadata columns given their declared type whatever type the caller used (a track or a
# source may be named by a number, a frame time given as an integer), so that every reader
# of a bank (the server's file names, an append) meets the types the schema declares.
_TYPED_COLUMNS = tuple(METADATA_SCHEMA.names)


def arrow_ids(ids) -> pa.Array:
    """Ids as an Arrow string array: strings as they are, anything else made a string. One id
    (a string, or a number) is a list of one, as one pose is a batch of one: a string is not
    read as its characters."""
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        ids = [ids]
    if isinstance(ids, (pa.Array, pa.ChunkedArray)):
        array = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
        if array.null_count:
            _refuse_none(array.to_pylist())
        return array if pa.types.is_string(array.type) else pa.array(
            [str(i) for i in array.to_pylist()], pa.string())
    ids = ids if isinstance(ids, list) else list(ids)
    try:
        array = pa.array(ids, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        array = None  # numbers, say
    if array is None or array.null_count:  # each named by its text, as str() gives it
        _refuse_none(ids)
        array = pa.array([str(i) for i in ids], pa.string())
    return array


def _refuse_none(ids: list) -> None:
    """InvalidArgumentError naming the first missing id (str() would name it "None")."""
    missing = next((i for i, value in enumerate(ids) if value is None), None)
    if missing is not None:
        raise InvalidArgumentError(f"ids must not be None: position {missing}")


def _meta_array(values) -> pa.Array | pa.ChunkedArray:
    """One metadata column as Arrow: Arrow and numpy arrays as they are (numpy's numbers
    without a copy), a list converted in one call, any other iterable listed first."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(values if isinstance(values, (list, np.ndarray)) else list(values))


def _meta_column(name: str, values, n: int) -> pa.Array | pa.ChunkedArray:
    """One column of a dict of columns, n values long; InvalidArgumentError naming it otherwise."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidArgumentError(f"metadata column {name!r} must hold one value per pose, "
                                   f"not {_kind(values)}")
    try:
        column = _meta_array(values)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise InvalidArgumentError(f"metadata column {name!r}: {error}") from None
    if len(column) != n:
        raise InvalidArgumentError(f"metadata column {name!r} has {len(column)} values "
                                   f"for {n} poses")
    return column


def _kind(value) -> str:
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def arrow_metadata(meta, n: int) -> dict[str, pa.Array]:
    """`meta` (None, an Arrow table, a dict of columns or a list of row dicts) as n-row Arrow
    columns by name; InvalidArgumentError for another row count or a typed column that will
    not cast."""
    if meta is None:
        return {}
    if isinstance(meta, pa.Table):
        table = meta
    elif isinstance(meta, dict):
        table = pa.table({name: _meta_column(name, values, n) for name, values in meta.items()})
    else:
        rows = list(meta) if not isinstance(meta, (str, bytes)) else None
        if rows is None or not all(isinstance(row, dict) for row in rows):
            raise InvalidArgumentError("metadata must be a dict of columns, a list of dicts "
                                       f"(one a pose) or a pyarrow Table, not {_kind(meta)}")
        table = pa.Table.from_pylist(rows)
    if table.num_rows != n:
        raise InvalidArgumentError(f"metadata has {table.num_rows} rows for {n} poses")
    columns = {name: table.column(name) for name in table.column_names}
    for name in _TYPED_COLUMNS:
        if name in columns:
            wanted = METADATA_SCHEMA.field(name).type
            try:
                columns[name] = columns[name].cast(wanted)
            except pa.ArrowException as error:
                raise InvalidArgumentError(f"metadata column {name!r} must hold {wanted} values: "
                                           f"{error}") from None
    return columns
