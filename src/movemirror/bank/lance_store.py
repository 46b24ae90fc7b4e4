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
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from movemirror.bank.index_lock import no_bank_yet
from movemirror.bank.schema import ID, IMAGE, IMAGE_TYPE, VECTOR, VECTOR_TYPE
from movemirror.errors import BankError, InvalidArgumentError
from movemirror.vectors import VECTOR_DIM

FORMAT_NAME = "movemirror-bank"
FORMAT_VERSION = 2
POSES = "poses.lance"
TABLE_SUFFIX = ".lance"
BANK_VERSION = "_bank_version"  # in each extra table: the poses version of the row's save
# ... and the whole write the row belongs to: rows left by a bank that was since replaced
# (a rebuild killed before its tables were written) are not the new bank's.
BANK_LINEAGE = "_bank_lineage"
_LINEAGE_KEY = b"movemirror-lineage"
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

    records: Callable[[], pa.Table]  # reads them (on first use: search needs the vectors alone)
    vectors: np.ndarray
    tables: dict[str, pa.Table]
    dataset: object  # lance.LanceDataset at this version
    read_ids: Callable[[], pa.ChunkedArray]  # the id column alone

    @property
    def version(self) -> int:
        return int(self.dataset.version)  # type: ignore[attr-defined]


def exists(location: str) -> bool:
    """Whether a format-2 bank (any dataset at all) is at location."""
    return _committed(location, POSES)


def read(location: str, version: int | None = None) -> LanceBank:
    """Open version (default: the latest) of the bank at location; BankError naming the
    problem if it is missing, damaged or of another format."""
    dataset = _open(location, version)
    if VECTOR not in dataset.schema.names:
        raise BankError(f"{location}: the poses have no {VECTOR} column")
    vectors = _matrix(_columns(dataset, [VECTOR], location).column(VECTOR), VECTOR_DIM)
    count = dataset.count_rows()
    if len(vectors) != count:
        raise BankError(f"{location}: {count} poses but {len(vectors)} vectors")
    names = [name for name in dataset.schema.names if name not in (VECTOR, IMAGE)]

    def records() -> pa.Table:
        table = _columns(dataset, names, location)
        if table.num_rows != count:
            raise BankError(f"{location}: {count} poses but {table.num_rows} records")
        return table.replace_schema_metadata(None)

    # The latest version lists every table; each row says which version it belongs to.
    listing = dataset if version is None else _open(location, None)
    tables = {}
    for name in _table_names(listing):
        table = _read_table(location, name, dataset.version, _lineage(dataset))
        if table is not None:
            tables[name] = table
    def read_ids() -> pa.ChunkedArray:
        return _columns(dataset, [ID], location).column(ID)

    return LanceBank(records=records, vectors=vectors, tables=tables, dataset=dataset,
                     read_ids=read_ids)


def _columns(dataset, names: list[str], location: str) -> pa.Table:
    try:
        return dataset.to_table(columns=names)
    except Exception as error:  # Lance raises OSError, ValueError, RuntimeError on damage
        raise BankError(f"{location}: cannot read the poses: "
                        f"{lance_message(error, location)}") from error


def latest_version(location: str) -> int:
    """The newest committed version of the bank's poses (cheap: reads the manifest only)."""
    return int(_open(location, None).version)


def create(location: str, records: pa.Table, vectors: np.ndarray,
           images: Sequence[bytes | None], tables: dict[str, pa.Table]) -> int:
    """Write a whole bank at location as a new version (replacing whatever is there, which
    older versions still hold); returns the version."""
    import lance

    first = _poses_batch(records.slice(0, 0), np.empty((0, VECTOR_DIM), np.float32), [])
    lineage = f"{time.time_ns():x}"
    schema = first.schema.with_metadata({**_schema_metadata(tables),
                                         _LINEAGE_KEY: lineage.encode()})
    data = _poses_table(records, vectors, images, schema)
    dataset = _write(lance.write_dataset, data, join(location, POSES), _mode(location, POSES))
    for name, table in tables.items():
        _write_table(location, name, table, dataset.version, lineage,
                     _mode(location, name + TABLE_SUFFIX))
    return int(dataset.version)


def append(location: str, records: pa.Table, vectors: np.ndarray,
           images: Sequence[bytes | None], tables: dict[str, pa.Table], opened=None):
    """Append poses and table rows to the bank at location; returns the new version (the
    same one if there were no poses to append) and the poses dataset, open. tables holds
    only the new rows. opened: the bank's poses dataset opened before (at any version: an
    append through it lands on the latest), to spare opening it again."""
    import lance

    if len(records):
        dataset = opened if opened is not None else _open(location, None)
        extra = set(records.column_names) - set(dataset.schema.names)
        if extra:
            raise BankError(f"{location}: the bank has no column {', '.join(sorted(extra))}; "
                            "save the poses to a new bank instead")
        data = _poses_table(records, vectors, images, dataset.schema)
        # Given the open dataset, Lance reuses its session rather than opening it again.
        dataset = _write(lance.write_dataset, data, join(location, POSES), "append",
                         target=dataset)
    else:
        dataset = _open(location, None)
    version = int(dataset.version)
    known = set(_table_names(dataset))
    lineage = _lineage(dataset)
    for name, table in tables.items():
        # A listed table may be missing: its first commit never landed (a crash).
        there = _mode(location, name + TABLE_SUFFIX)
        _write_table(location, name, table, version, lineage,
                     "append" if name in known and there == "overwrite" else there)
    if set(tables) - known:  # list the new tables (a new version with the same poses)
        metadata = dict(dataset.schema.metadata or {})
        metadata.update(_schema_metadata({**dict.fromkeys(known), **tables}))
        dataset.update_schema_metadata({k.decode(): v.decode() for k, v in metadata.items()},
                                       replace=True)
    return version, dataset


def open_version(location: str, version: int | None):
    """The poses dataset at one version, None for the latest (to read pictures from)."""
    return _open(location, version)


def read_images(dataset, rows: Sequence[int],
                ids: Sequence[str] | None = None) -> list[bytes | None]:
    """The pictures of some rows of one version of the bank; with ids, only those of rows
    that hold these ids (None for the others, and for rows past the end). BankError if the
    version's files cannot be read (removed by a prune, or damaged)."""
    if IMAGE not in dataset.schema.names:
        return [None] * len(rows)
    rows = list(rows)
    if ids is not None:
        count = dataset.count_rows()
        inside = [j for j, row in enumerate(rows) if row < count]
        rows = [rows[j] for j in inside]
    try:
        taken = dataset.take(rows, columns=[IMAGE] if ids is None else [ID, IMAGE])
    except Exception as error:  # Lance raises OSError for a missing file, others on damage
        raise BankError(f"{dataset.uri}: cannot read the pictures: "
                        f"{lance_message(error, dataset.uri)}") from error
    images = taken.column(IMAGE).to_pylist()
    if ids is None:
        return images
    found: list[bytes | None] = [None] * len(ids)
    for j, held, image in zip(inside, taken.column(ID).to_pylist(), images, strict=True):
        found[j] = image if held == ids[j] else None
    return found


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
            try:
                each.optimize.compact_files()
            except (OSError, ValueError, RuntimeError) as error:  # a full disk, read-only
                raise BankError(f"{join(location, name)}: cannot write: "
                                f"{lance_message(error, location)}") from error
            each = lance.dataset(join(location, name))
        out[name] = (before, len(each.get_fragments()))
    return out


def prune(location: str, keep_versions: int | None = None,
          older_than: timedelta | None = None) -> dict[str, tuple[int, int]]:
    """Remove old versions of the bank and the files only they use: all but the newest
    keep_versions, and (or) those committed more than older_than ago; never the latest.
    Per dataset, versions and bytes removed. The extra tables are read at their latest
    version only (each row says which poses version it belongs to), so their old versions
    all go."""
    import lance

    if keep_versions is None and older_than is None:
        raise InvalidArgumentError("say which versions to remove: keep_versions or older_than")
    if keep_versions is not None and keep_versions < 1:
        raise InvalidArgumentError("keep_versions must be at least 1 (the latest version stays)")
    dataset = _open(location, None)
    out = {}
    try:
        stats = dataset.cleanup_old_versions(older_than=older_than,
                                             retain_versions=keep_versions)
        out[POSES] = (int(stats.old_versions), int(stats.bytes_removed))
        for name in _table_names(dataset):
            if _committed(location, name + TABLE_SUFFIX):
                table = lance.dataset(join(location, name + TABLE_SUFFIX))
                stats = table.cleanup_old_versions(retain_versions=1)
                out[name + TABLE_SUFFIX] = (int(stats.old_versions), int(stats.bytes_removed))
    except (OSError, RuntimeError) as error:  # a read-only folder
        raise BankError(f"{location}: cannot remove old versions: "
                        f"{lance_message(error, location)}"
                        ) from error
    return out


# --- internals ----------------------------------------------------------------------------

def _open(location: str, version: int | None):
    import lance

    uri = join(location, POSES)
    if "://" not in location and not Path(location).is_dir():
        raise BankError(f"{location}: {why_no_bank(location)}")
    try:
        dataset = lance.dataset(uri, version=version)
    except ValueError as error:  # Lance's "not found" and "version not found"
        message = lance_message(error, location)
        if version is not None and "version" in message.lower():
            raise BankError(f"{location}: the bank has no version {version}") from error
        if "not found" in message.lower() or "does not exist" in message.lower():
            raise BankError(f"{location}: {why_no_bank(location)}") from error
        raise BankError(f"{location}: damaged bank: {message}") from error
    except Exception as error:
        raise BankError(f"{location}: damaged bank: {lance_message(error, location)}"
                        ) from error
    _check_format(location, dataset.schema)
    return dataset


def why_no_bank(location: str) -> str:
    """Why there is no bank at location, in the words every bank command uses."""
    if "://" in location:
        return f"no bank here ({POSES} is missing)"
    folder = Path(location)
    if not folder.exists():
        return "no bank here (it does not exist)"
    if not folder.is_dir():
        return "no bank here (a file, not a directory)"
    state = no_bank_yet(folder)
    if state is not None:
        return state
    if (folder / POSES).is_dir():
        return (f"no bank here: {POSES} holds no committed version (its first save did not "
                "finish, or its _versions folder was removed)")
    return f"no bank here ({POSES} is missing)"


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


def _read_table(location: str, name: str, version: int, lineage: str) -> pa.Table | None:
    """A table's rows of one version of the bank; None if its first commit never landed."""
    import lance

    if _mode(location, name + TABLE_SUFFIX) == "create":
        return None
    try:
        table = lance.dataset(join(location, name + TABLE_SUFFIX)).to_table()
    except Exception as error:
        raise BankError(f"{location}: cannot read its table {name}: "
                        f"{lance_message(error, location)}") from error
    keep = pc.less_equal(table.column(BANK_VERSION), version) if (
        BANK_VERSION in table.column_names) else None
    if BANK_LINEAGE in table.column_names:
        same = pc.equal(table.column(BANK_LINEAGE), lineage)
        keep = same if keep is None else pc.and_(keep, same)
    if keep is not None:
        table = table.filter(keep)
    hidden = [c for c in (BANK_VERSION, BANK_LINEAGE) if c in table.column_names]
    return table.drop_columns(hidden).replace_schema_metadata(None)


def _lineage(dataset) -> str:
    return (dataset.schema.metadata or {}).get(_LINEAGE_KEY, b"").decode()


def _write_table(location: str, name: str, table: pa.Table, version: int, lineage: str,
                 mode: str) -> None:
    import lance

    if not name.isidentifier():
        raise ValueError(f"bad table name {name!r}")
    if mode == "append" and not table.num_rows:
        return
    tagged = table.append_column(BANK_VERSION, pa.array(np.full(table.num_rows, version),
                                                        pa.int64()))
    tagged = tagged.append_column(BANK_LINEAGE, pa.array([lineage] * table.num_rows,
                                                         pa.string()))
    _write(lance.write_dataset, tagged, join(location, name + TABLE_SUFFIX), mode)


def _mode(location: str, name: str) -> str:
    """Write mode for a whole dataset: replace one that is there, else create it."""
    return "overwrite" if _committed(location, name) else "create"


def _committed(location: str, name: str) -> bool:
    """Whether a dataset has a committed version (a crash can leave a folder of data files
    and no version: nothing was committed)."""
    import lance

    if "://" not in location:
        return any((Path(location) / name / "_versions").glob("*.manifest"))
    try:
        lance.dataset(join(location, name))
    except ValueError:
        return False
    return True


def _write(write_dataset, data: pa.Table, uri: str, mode: str, target=None):
    try:
        return write_dataset(data, uri if target is None else target, mode=mode)
    except (OSError, ValueError, RuntimeError) as error:
        raise BankError(f"{uri}: cannot write: {lance_message(error, uri)}") from error


def _poses_table(records: pa.Table, vectors: np.ndarray, images: Sequence[bytes | None],
                 schema: pa.Schema | None = None):
    """The poses as Lance takes them: batches of rows with their vector and picture (the
    pictures made into Arrow a batch at a time, so a big bank's are never all copied at
    once). With a schema, the rows are made to fit the stored one (see _conform)."""
    if records.num_rows != len(vectors) or records.num_rows != len(images):
        raise ValueError(f"{records.num_rows} records, {len(vectors)} vectors and "
                         f"{len(images)} images")
    vectors = np.ascontiguousarray(vectors, np.float32)
    first = _poses_batch(records.slice(0, 0), vectors[:0], [])
    out_schema = schema if schema is not None else first.schema

    def batches():
        for start in range(0, records.num_rows, _BATCH_ROWS):
            end = min(start + _BATCH_ROWS, records.num_rows)
            batch = _poses_batch(records.slice(start, end - start), vectors[start:end],
                                 images[start:end])
            if schema is not None:
                batch = _conform(batch, schema)
            yield from batch.to_batches()

    return pa.RecordBatchReader.from_batches(out_schema, batches())


_BATCH_ROWS = 65_536


def _poses_batch(records: pa.Table, vectors: np.ndarray, images) -> pa.Table:
    flat = pa.array(vectors.reshape(-1))
    table = records.append_column(pa.field(VECTOR, VECTOR_TYPE),
                                  pa.FixedSizeListArray.from_arrays(flat, VECTOR_DIM))
    return table.append_column(pa.field(IMAGE, IMAGE_TYPE), pa.array(list(images), IMAGE_TYPE))


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """New rows with the stored columns in their order and types (nulls for missing ones)."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            try:
                columns.append(table.column(field.name).cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise BankError(f"column {field.name} holds {field.type}, not "
                                f"{table.schema.field(field.name).type}: {error}") from None
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _matrix(column: pa.ChunkedArray, width: int) -> np.ndarray:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    flat = array.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(array), width)


# Lance ends many messages with where its Rust code raised them (", /home/runner/work/lance/
# lance/rust/lance-io/src/local.rs:273:40") and starts them with the layers they crossed
# ("External error: LanceError(IO): Generic LocalFileSystem error: ").
_RUST_LOCATION = re.compile(r",?\s*\S+\.rs:\d+(?::\d+)?\s*$")
_WRAPPERS = re.compile(r"^(?:(?:External error|LanceError\(\w+\)|Generic \w+ error)\s*:\s*)+")
# Rust's own words for a file that ends before its end, in the words of a bank's user.
_PLAIN = {"failed to fill whole buffer": "a data file ends too soon (truncated)"}


def lance_message(error: BaseException, location: str | None = None) -> str:
    """Lance's error as a person reads it: its first line, without the Rust source location
    and the wrappers' names; a local file Lance names without its leading slash
    ("tmp/bank/...") gets it back (location: the bank's, absolute)."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    line = _WRAPPERS.sub("", _RUST_LOCATION.sub("", line)) or type(error).__name__
    line = _PLAIN.get(line, line)
    if location and location.startswith("/"):
        line = re.sub(rf"(?<![\w/.]){re.escape(location.lstrip('/'))}", location, line)
    return line
