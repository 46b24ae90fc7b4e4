"""Format 1 of the bank on disk (read-only since format 2): a manifest, Parquet and a .npy.

    BANK/manifest.json         format, version, generation, count, and each data file's size
                               and sha256
    BANK/records-<gen>.parquet one row per pose: id, keypoints (51 floats), metadata columns
    BANK/vectors-<gen>.npy     (N, 52) float32, memory-mapped on load
    BANK/<table>-<gen>.parquet any extra tables saved with them (ingestion's ledger of sources)
    BANK/thumbs/ab/<id>.jpg    thumbnails written by ingestion (named by the records' thumbnail
                               column, not listed in the manifest; see thumbnail_path)

A save writes new data files under a fresh generation name, then replaces manifest.json in
one rename. A crash at any moment leaves the previous manifest and the files it names intact;
files of an unfinished generation are removed by the next save.

movemirror opens these banks read-only and `movemirror bank upgrade` converts them to format 2
(movemirror.bank.lance_store). write_bank stays to make format-1 banks for the upgrade's tests.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from movemirror.bank.lance_store import why_no_bank
from movemirror.errors import BankError
from movemirror.files import file_sha256, sync_files, write_json_atomic

FORMAT_NAME = "movemirror-bank"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StoredBank:
    records: pa.Table
    vectors: np.ndarray
    manifest: dict
    tables: dict[str, pa.Table]

    @property
    def generation(self) -> str:
        """The save this state came from: hex nanoseconds, new with every save."""
        return manifest_generation(self.manifest)


def write_bank(path: str | Path, records: pa.Table, vectors: np.ndarray,
               tables: dict[str, pa.Table] | None = None, extra: dict | None = None) -> str:
    """Write records, vectors and extra tables as the bank's new state, atomically; returns
    its generation.

    extra: more manifest fields. Everything is committed together by one rename.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if records.num_rows != len(vectors):
        raise ValueError(f"{records.num_rows} records but {len(vectors)} vectors")
    generation = f"{time.time_ns():x}"
    files = {
        "records": f"records-{generation}.parquet",
        "vectors": f"vectors-{generation}.npy",
    }
    tables = tables or {}
    for name, table in tables.items():
        if not name.isidentifier() or name in files:
            raise ValueError(f"bad table name {name!r}")
        files[name] = f"{name}-{generation}.parquet"
        pq.write_table(table, path / files[name])
    pq.write_table(records, path / files["records"])
    np.save(path / files["vectors"], np.ascontiguousarray(vectors, dtype=np.float32))
    sync_files(path / name for name in files.values())
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generation": generation,
        "count": int(records.num_rows),
        "vector_dim": int(vectors.shape[1]) if vectors.ndim == 2 else 0,
        "files": {role: _describe(path / name) for role, name in files.items()},
        "tables": sorted(tables),
        **(extra or {}),
    }
    write_json_atomic(path / MANIFEST, manifest)
    _remove_unreferenced(path, set(files.values()))
    return generation


def read_bank(path: str | Path, verify: bool = True) -> StoredBank:
    """Open a bank written by write_bank; raise BankError naming what is wrong."""
    path = Path(path)
    manifest = read_manifest(path)
    try:
        records_file = manifest["files"]["records"]
        vectors_file = manifest["files"]["vectors"]
        count = int(manifest["count"])
    except (KeyError, TypeError, ValueError) as error:
        raise BankError(f"{path / MANIFEST}: manifest lacks {error}") from error
    table_names = manifest.get("tables", [])
    try:
        table_files = {name: manifest["files"][name] for name in table_names}
    except KeyError as error:
        raise BankError(f"{path / MANIFEST}: manifest lacks file {error}") from error
    for entry in (records_file, vectors_file, *table_files.values()):
        _check_file(path, entry, verify)
    try:
        records = pq.read_table(path / records_file["name"])
        vectors = np.load(path / vectors_file["name"], mmap_mode="r")
        tables = {name: pq.read_table(path / entry["name"]) for name, entry in table_files.items()}
    except Exception as error:  # pyarrow and numpy raise many kinds on damaged files
        raise BankError(f"{path}: cannot read bank data: {error}") from error
    if records.num_rows != count or vectors.shape[0] != count:
        raise BankError(
            f"{path}: manifest says {count} poses but found {records.num_rows} records "
            f"and {vectors.shape[0]} vectors"
        )
    return StoredBank(records=records, vectors=vectors, manifest=manifest, tables=tables)


def manifest_generation(manifest: dict) -> str:
    """A manifest's generation; banks saved before it was recorded take it from their
    vectors file's name (vectors-<generation>.npy)."""
    if isinstance(manifest.get("generation"), str):
        return manifest["generation"]
    return manifest["files"]["vectors"]["name"].removeprefix("vectors-").removesuffix(".npy")


def read_manifest(path: Path) -> dict:
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise BankError(f"{path}: {why_no_bank(str(path))}")
    if not manifest_path.is_file():
        raise BankError(f"{path}: no bank here ({MANIFEST} is missing)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BankError(f"{manifest_path}: damaged manifest: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BankError(f"{manifest_path}: not a movemirror bank manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise BankError(
            f"{manifest_path}: bank format version {manifest.get('version')} is not supported "
            f"(this movemirror reads versions 1 and 2); rebuild the bank"
        )
    return manifest


def _describe(file: Path) -> dict:
    return {"name": file.name, "bytes": file.stat().st_size, "sha256": file_sha256(file)}


def _check_file(path: Path, entry: dict, verify: bool) -> None:
    file = path / entry["name"]
    if not file.is_file():
        raise BankError(f"{path}: data file {entry['name']} is missing")
    size = file.stat().st_size
    if size != entry["bytes"]:
        raise BankError(
            f"{file}: truncated or changed ({size} bytes, the manifest says {entry['bytes']})"
        )
    if verify and file_sha256(file) != entry["sha256"]:
        raise BankError(f"{file}: checksum mismatch: the file was changed or damaged")


def _remove_unreferenced(path: Path, keep: set[str]) -> None:
    """Delete data files of other generations and leftover manifest temporaries."""
    for stale in path.iterdir():
        if stale.name not in keep and _STALE.fullmatch(stale.name):
            stale.unlink(missing_ok=True)


# <role>-<hex generation>.parquet|.npy, or a temporary of manifest.json.
_STALE = re.compile(r"[A-Za-z_]\w*-[0-9a-f]+\.(parquet|npy)|\.manifest\.json\..*\.tmp")


def is_format1_file(name: str) -> bool:
    """Whether a file name in a bank folder is one of format 1's data files."""
    return bool(_STALE.fullmatch(name))
