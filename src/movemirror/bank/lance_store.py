"""Format 2 of the bank on disk: Lance datasets in the bank's folder (a local folder or any
URI Lance supports, such as s3://bucket/bank).

    BANK/poses.lance    one row per pose: id, keypoints (51 floats), vector (52 floats), the
                        metadata columns, and image (its picture as JPEG, null if none)
    BANK/<table>.lance  each extra table saved with the bank (ingestion's ledger:
                        sources.lance), each row tagged with the poses version it was
                        committed with (_bank_version), so an older version has its own rows

The poses dataset's schema metadata names the format and version and lists the tables.
Every save is a Lance commit per dataset, poses first: Lance writes a version's data files,
then its manifest in one atomic step, so a crash at any moment leaves the last committed
version readable. A crash between the poses and the ledger leaves poses the ledger does not
know of; a re-run redoes their units and finds their ids already in the bank.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from movemirror.bank.schema import IMAGE, IMAGE_TYPE, VECTOR, VECTOR_TYPE
from movemirror.errors import BankError
from movemirror.vectors import VECTOR_DIM

FORMAT_NAME = "movemirror-bank"
FORMAT_VERSION = 2
POSES = "poses.lance"
TABLE_SUFFIX = ".lance"
BANK_VERSION = "_bank_version"  # in each extra table: the poses version of the row's save
_FORMAT_KEY = b"movemirror-format"
_TABLES_KEY = b"movemirror-tables"


def join(location: str, name: str) -> str:
    """A file or folder inside a bank, for a local path or a URI alike."""
    if "://" in location:
        return location.rstrip("/") + "/" + name
    return str(Path(location) / name)


@dataclass
class LanceBank:
    """One version of a stored bank: its records (without vector and image), its vectors,
    its extra tables, and the open dataset to read pictures from by row."""

    records: pa.Table
    vectors: np.ndarray
    tables: dict[str, pa.Table]
    dataset: object  # lance.LanceDataset at this version

    @property
    def version(self) -> int:
        return int(self.dataset.version)  # type: ignore[attr-defined]


def exists(location: str) -> bool:
    """Whether a format-2 bank (any dataset at all) is at location."""
    if "://" not in location:
        return (Path(location) / POSES).is_dir()
    try:
        _open(location, None)
    except BankError:
        return False
    return True


def read(location: str, version: int | None = None) -> LanceBank:
    """Open version (default: the latest) of the bank at location; BankError naming the
    problem if it is missing, damaged or of another format."""
    dataset = _open(location, version)
    names = [name for name in dataset.schema.names if name != IMAGE]
    try:
        table = dataset.to_table(columns=names)
    except Exception as error:  # Lance raises OSError, ValueError, RuntimeError on damage
        raise BankError(f"{location}: cannot read the poses: {_first_line(error)}") from error
    if VECTOR not in table.column_names:
        raise BankError(f"{location}: the poses have no {VECTOR} column")
    vectors = _matrix(table.column(VECTOR), VECTOR_DIM)
    records = table.drop_columns([VECTOR])
    # The latest version lists every table; each row says which version it belongs to.
    listing = dataset if version is None else _open(location, None)
    tables = {name: _read_table(location, name, dataset.version)
              for name in _table_names(listing)}
    return LanceBank(records=records, vectors=vectors, tables=tables, dataset=dataset)


def latest_version(location: str) -> int:
    """The newest committed version of the bank's poses (cheap: reads the manifest only)."""
    return int(_open(location, None).version)


def create(location: str, records: pa.Table, vectors: np.ndarray,
           images: Sequence[bytes | None], tables: dict[str, pa.Table]) -> int:
    """Write a whole bank at location as a new version (replacing whatever is there, which
    older versions still hold); returns the version."""
    import lance

    data = _poses_table(records, vectors, images)
    data = data.replace_schema_metadata(_schema_metadata(tables))
    dataset = _write(lance.write_dataset, data, join(location, POSES), _mode(location, POSES))
    for name, table in tables.items():
        _write_table(location, name, table, dataset.version,
                     _mode(location, name + TABLE_SUFFIX))
    return int(dataset.version)


def append(location: str, records: pa.Table, vectors: np.ndarray,
           images: Sequence[bytes | None], tables: dict[str, pa.Table]) -> int:
    """Append poses and table rows to the bank at location; returns the new version (the
    same one if there were no poses to append). tables holds only the new rows."""
    import lance

    dataset = _open(location, None)
    if len(records):
        data = _conform(_poses_table(records, vectors, images), dataset.schema, location)
        dataset = _write(lance.write_dataset, data, join(location, POSES), "append")
    version = int(dataset.version)
    known = set(_table_names(dataset))
    for name, table in tables.items():
        mode = "append" if name in known else _mode(location, name + TABLE_SUFFIX)
        _write_table(location, name, table, version, mode)
    if set(tables) - known:  # list the new tables (a new version with the same poses)
        listed = _schema_metadata({**dict.fromkeys(known), **tables})
        dataset.update_schema_metadata({k.decode(): v.decode() for k, v in listed.items()})
    return version


def open_version(location: str, version: int):
    """The poses dataset at one version (to read pictures from)."""
    return _open(location, version)


def read_images(dataset, rows: Sequence[int]) -> list[bytes | None]:
    """The pictures of some rows of one version of the bank."""
    if IMAGE not in dataset.schema.names:
        return [None] * len(rows)
    taken = dataset.take(list(rows), columns=[IMAGE])
    return taken.column(IMAGE).to_pylist()


def history(location: str) -> list[dict]:
    """Every version of the bank's poses, oldest first: version, time, poses, fragments."""
    out = []
    for entry in _open(location, None).versions():
        timestamp, stats = entry["timestamp"], entry.get("metadata", {})
        out.append({
            "version": int(entry["version"]),
            "time": (timestamp.isoformat(sep=" ", timespec="seconds")
                     if isinstance(timestamp, datetime) else str(timestamp)),
            "poses": int(stats.get("total_rows", -1)),
            "fragments": int(stats.get("total_fragments", -1)),
        })
    return out


def compact(location: str) -> dict[str, tuple[int, int]]:
    """Merge the small files many appends leave into fewer (a new version with the same
    rows); per dataset, fragments before and after."""
    dataset = _open(location, None)
    out = {}
    for name in (POSES, *(name + TABLE_SUFFIX for name in _table_names(dataset))):
        import lance

        each = lance.dataset(join(location, name))
        before = len(each.get_fragments())
        if before > 1:
            each.optimize.compact_files()
            each = lance.dataset(join(location, name))
        out[name] = (before, len(each.get_fragments()))
    return out


# --- internals ----------------------------------------------------------------------------

def _open(location: str, version: int | None):
    import lance

    uri = join(location, POSES)
    if "://" not in location and not Path(location).is_dir():
        raise BankError(f"{location}: no bank here (not a directory)")
    try:
        dataset = lance.dataset(uri, version=version)
    except ValueError as error:  # Lance's "not found" and "version not found"
        message = _first_line(error)
        if version is not None and "version" in message.lower():
            raise BankError(f"{location}: the bank has no version {version}") from error
        if "not found" in message.lower() or "does not exist" in message.lower():
            raise BankError(f"{location}: no bank here ({POSES} is missing)") from error
        raise BankError(f"{location}: damaged bank: {message}") from error
    except Exception as error:
        raise BankError(f"{location}: damaged bank: {_first_line(error)}") from error
    _check_format(location, dataset.schema)
    return dataset


def _check_format(location: str, schema: pa.Schema) -> None:
    metadata = schema.metadata or {}
    if _FORMAT_KEY not in metadata:
        raise BankError(f"{join(location, POSES)}: not a movemirror bank (no format mark)")
    try:
        name, version = metadata[_FORMAT_KEY].decode().rsplit(" ", 1)
        number = int(version)
    except ValueError:
        raise BankError(f"{join(location, POSES)}: damaged format mark "
                        f"{metadata[_FORMAT_KEY]!r}") from None
    if name != FORMAT_NAME:
        raise BankError(f"{join(location, POSES)}: not a movemirror bank ({name})")
    if number != FORMAT_VERSION:
        raise BankError(f"{location}: bank format version {number} is not supported (this "
                        "movemirror reads versions 1 and 2); rebuild the bank")


def _schema_metadata(tables: dict) -> dict[bytes, bytes]:
    return {_FORMAT_KEY: f"{FORMAT_NAME} {FORMAT_VERSION}".encode(),
            _TABLES_KEY: json.dumps(sorted(tables)).encode()}


def _table_names(dataset) -> list[str]:
    raw = (dataset.schema.metadata or {}).get(_TABLES_KEY, b"[]")
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        raise BankError(f"{dataset.uri}: damaged list of tables {raw!r}") from None
    return [str(name) for name in names]


def _read_table(location: str, name: str, version: int) -> pa.Table:
    import lance

    try:
        dataset = lance.dataset(join(location, name + TABLE_SUFFIX))
        table = dataset.to_table()
    except Exception as error:
        raise BankError(f"{location}: cannot read its table {name}: "
                        f"{_first_line(error)}") from error
    if BANK_VERSION in table.column_names:
        table = table.filter(pc.less_equal(table.column(BANK_VERSION), version))
        table = table.drop_columns([BANK_VERSION])
    return table.replace_schema_metadata(None)


def _write_table(location: str, name: str, table: pa.Table, version: int, mode: str) -> None:
    import lance

    if not name.isidentifier():
        raise ValueError(f"bad table name {name!r}")
    if mode == "append" and not table.num_rows:
        return
    tagged = table.append_column(BANK_VERSION, pa.array(np.full(table.num_rows, version),
                                                        pa.int64()))
    _write(lance.write_dataset, tagged, join(location, name + TABLE_SUFFIX), mode)


def _mode(location: str, name: str) -> str:
    """Write mode for a whole dataset: replace one that is there, else create it."""
    import lance

    if "://" not in location:
        return "overwrite" if (Path(location) / name).is_dir() else "create"
    try:
        lance.dataset(join(location, name))
    except ValueError:
        return "create"
    return "overwrite"


def _write(write_dataset, data: pa.Table, uri: str, mode: str):
    try:
        return write_dataset(data, uri, mode=mode)
    except (OSError, ValueError, RuntimeError) as error:
        raise BankError(f"{uri}: cannot write: {_first_line(error)}") from error


def _poses_table(records: pa.Table, vectors: np.ndarray,
                 images: Sequence[bytes | None]) -> pa.Table:
    if records.num_rows != len(vectors) or records.num_rows != len(images):
        raise ValueError(f"{records.num_rows} records, {len(vectors)} vectors and "
                         f"{len(images)} images")
    flat = pa.array(np.ascontiguousarray(vectors, np.float32).reshape(-1))
    table = records.append_column(VECTOR, pa.FixedSizeListArray.from_arrays(flat, VECTOR_DIM))
    table = table.cast(table.schema.set(table.schema.get_field_index(VECTOR),
                                        pa.field(VECTOR, VECTOR_TYPE)))
    return table.append_column(IMAGE, pa.array(list(images), IMAGE_TYPE))


def _conform(table: pa.Table, schema: pa.Schema, location: str) -> pa.Table:
    """The new rows with the stored columns in their order and types (nulls for missing)."""
    extra = set(table.column_names) - set(schema.names)
    if extra:
        raise BankError(f"{location}: the bank has no column {', '.join(sorted(extra))}; "
                        "save the poses to a new bank instead")
    columns = []
    for field in schema:
        if field.name in table.column_names:
            try:
                columns.append(table.column(field.name).cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise BankError(f"{location}: column {field.name} holds {field.type}, "
                                f"not {table.schema.field(field.name).type}: {error}") from None
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _matrix(column: pa.ChunkedArray, width: int) -> np.ndarray:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    flat = array.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(array), width)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
