"""PoseBank: the poses of an archive, their metadata, and search over them."""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pyarrow as pa

from movemirror.arguments import flag, whole_number
from movemirror.bank import storage
from movemirror.bank.columns import arrow_ids, arrow_metadata
from movemirror.bank.id_set import IdSet, all_distinct
from movemirror.bank.schema import (
    ID,
    IMAGE,
    KEYPOINTS,
    RECORD_FIELDS,
    VECTOR,
)
from movemirror.distances import (
    DEFAULT_METRIC,
    LIKENESS,
    Metric,
    check_metric,
    search_metric,
)
from movemirror.errors import InvalidArgumentError, InvalidTypeError, RowError
from movemirror.index import DEFAULT_INDEX, Index, build_index, check_index
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.motion.windows import DEFAULT_K, MOTION_METRIC
from movemirror.quality import likeness
from movemirror.vectors import (
    MIN_CONFIDENT_KEYPOINTS,
    MIN_SCORE,
    VECTOR_DIM,
    as_pose_array,
    as_pose_batch,
    pose_problems,
    to_vectors,
)
from movemirror.wording import counted

if TYPE_CHECKING:
    from movemirror.motion.search import MotionIndex


class SearchResult(NamedTuple):
    """The top k of each query, best first; the same three arrays whatever the search's options."""

    distances: np.ndarray  # (Q, k) float32
    indices: np.ndarray  # (Q, k) int64, rows of the bank
    mirrored: np.ndarray  # (Q, k) bool: match j came from the query mirrored left-right


class SkippedPose(NamedTuple):
    """A pose from_keypoints(on_invalid="skip") left out: its position in the input, its id,
    and why it cannot be vectorised (as movemirror.vectors.pose_problems says)."""

    position: int
    id: str
    reason: str


ON_INVALID = ("raise", "skip")


class PoseBank:
    """Poses (N, 17, 3) with ids and metadata; exact top-k search by any registered distance.

    Make one with PoseBank.from_keypoints(keypoints, ids=..., meta=...) or open a saved one
    with PoseBank.load(path) (the constructor is the library's own); search it with search
    (one pose or a batch) or search_motion (a movement). Search indexes are built on first
    use for each metric and kept in memory.
    """

    def __init__(self, records: pa.Table | Callable[[], pa.Table], vectors: np.ndarray,
                 path: str | Path | None = None, index: str = DEFAULT_INDEX,
                 tables: dict[str, pa.Table] | None = None, generation: str | None = None,
                 images: list[bytes | None] | None = None):
        # records: the table, or what reads it on first use (a loaded bank searches with its
        # vectors alone, so its records are read only when something asks for them).
        self._records: pa.Table | None = records if isinstance(records, pa.Table) else None
        self._read_records = None if isinstance(records, pa.Table) else records
        self._read_ids: Callable[[], pa.ChunkedArray] | None = None  # the ids alone, if lazy
        self._ids: IdSet | None = None  # every id, to leave out known ones (on first add)
        self._vectors = vectors
        # Poses added since: records and vectors in parts, joined on first use (so that adding
        # to a big bank and committing never copies the whole bank).
        self._new_records: list[pa.Table] = []
        self._new_vectors: list[np.ndarray] = []
        self._count = len(vectors)
        self.path = _path(path)
        # The saved version this bank was loaded from or last saved as (None: never saved).
        self.generation = generation
        self.tables = dict(tables or {})  # extra tables saved with the bank (ingestion's ledger)
        self.index_kind = index
        check_index(index)  # refused here, not at the first search
        # Poses left out by from_keypoints(on_invalid="skip") or add, with why; not saved.
        self.skipped: list[SkippedPose] = []
        self.format: int | None = None  # of the stored bank this one extends (None: unsaved)
        # What is stored at self.path: the first `_committed` rows, their pictures, the tables.
        self._committed = 0
        self._pictures: storage.Pictures | None = None
        self._committed_tables: dict[str, pa.Table] = {}
        # The pictures of the rows not yet committed (JPEG bytes or None), in row order.
        self._images: list[bytes | None] = list(images) if images is not None else (
            [None] * len(vectors))
        if len(self._images) != len(vectors):
            raise ValueError(f"{len(self._images)} images for {len(vectors)} poses")
        self._parts_lock = threading.RLock()
        self._indexes: dict[str, Index] = {}
        # Per metric with its own vectors (Metric.vectorise): the bank rows it can search.
        self._rows: dict[str, np.ndarray] = {}
        self._motion: MotionIndex | None = None  # built on first use
        self._torsos: likeness.BankTorsos | None = None  # for "likeness", built on first use
        self._lock = threading.Lock()

    # --- building, saving, loading -------------------------------------------------------

    @classmethod
    def from_keypoints(cls, keypoints, ids=None, meta=None, *, min_score: float = MIN_SCORE,
                       min_keypoints: int = MIN_CONFIDENT_KEYPOINTS,
                       index: str = DEFAULT_INDEX, on_invalid: str = "raise") -> PoseBank:
        """Build a bank from poses (N, 17, 3) in pixels.

        ids: N unique strings (default "0".."N-1"; a string alone is one id, never its
        characters). meta: a dict of columns, a list of dicts
        or a pyarrow Table with N rows; an "image" column holds each pose's picture (JPEG
        bytes, saved with the bank and read back by row with image()). Poses of a movement
        carry "frame_time" (seconds) and
        "track" (a name or number shared by the poses of one person in one video, stored as
        a string); a pose without a frame time is a still and takes no part in movement
        search. A pose that cannot be vectorised (degenerate, or with
        too few confident keypoints) raises PoseError naming it; with on_invalid="skip" it is
        left out instead, with its id and metadata, and listed in the bank's `skipped`.
        """
        if on_invalid not in ON_INVALID:
            raise InvalidArgumentError(f"on_invalid must be one of {', '.join(ON_INVALID)}, "
                                       f"not {on_invalid!r}")
        keypoints = as_pose_batch(keypoints)
        id_array = arrow_ids(range(len(keypoints)) if ids is None else ids)
        if len(id_array) != len(keypoints):
            raise InvalidArgumentError(f"{counted(len(id_array), 'id')} for "
                                       f"{counted(len(keypoints), 'pose')}")
        if not all_distinct(id_array):
            raise InvalidArgumentError("ids must be unique")
        columns = arrow_metadata(meta, len(id_array))
        for name in (ID, KEYPOINTS, VECTOR):
            if name in columns:
                raise InvalidArgumentError(f"metadata column {name!r} is reserved")
        image_column = columns.pop(IMAGE, None)
        if image_column is not None and not (pa.types.is_binary(image_column.type)
                                             or pa.types.is_null(image_column.type)):
            raise InvalidArgumentError("metadata column 'image' holds each pose's picture as bytes "
                                       f"(JPEG) or None, not {image_column.type} values")
        images = (image_column.to_pylist() if image_column is not None
                  else [None] * len(id_array))
        skipped: list[SkippedPose] = []
        if on_invalid == "skip" and len(keypoints):
            problems = pose_problems(keypoints, min_score, min_keypoints)
            skipped = [SkippedPose(i, id_array[i].as_py(), problem)
                       for i, problem in enumerate(problems) if problem is not None]
            if skipped:
                keep = np.flatnonzero([problem is None for problem in problems])
                keypoints = keypoints[keep]
                id_array = id_array.take(keep)
                images = [images[i] for i in keep]
                columns = {name: column.take(keep) for name, column in columns.items()}
        vectors = to_vectors(keypoints, min_score, min_keypoints) if len(keypoints) else (
            np.empty((0, VECTOR_DIM), np.float32))
        records = pa.table({
            ID: id_array,
            KEYPOINTS: pa.FixedSizeListArray.from_arrays(
                pa.array(np.ascontiguousarray(keypoints).reshape(-1)), NUM_KEYPOINTS * 3),
        })
        for name, column in columns.items():
            records = records.append_column(name, column)
        bank = cls(records, vectors, index=index, images=images)
        bank.skipped = skipped
        return bank

    def add(self, keypoints, ids=None, meta=None, *, on_invalid: str = "raise") -> int:
        """Add poses (N, 17, 3) in memory, as from_keypoints takes them (ids default to
        continuing the bank's row numbers, passing over any the bank holds); the next save()
        commits them (to a saved bank, only in metadata columns it has: BankError). A pose
        whose id is already in the bank is left out (ids made from the content make adding
        idempotent). Returns how many poses were added."""
        if ids is None:
            ids = self._unused_row_ids(len(as_pose_batch(keypoints)))
        new = PoseBank.from_keypoints(keypoints, ids, meta, on_invalid=on_invalid,
                                      index=self.index_kind)
        with self._lock:
            self.skipped.extend(new.skipped)
            new_ids = new.records.column(ID)
            held = self._id_set()
            known = held.contains(new_ids)
            fresh = np.flatnonzero(~known)
            if not len(fresh):
                return 0
            whole = len(fresh) == len(new)  # (then nothing is copied)
            self._new_records.append(new.records if whole else new.records.take(fresh))
            self._new_vectors.append(new.vectors if whole else new.vectors[fresh])
            self._images.extend(new._images if whole else [new._images[i] for i in fresh])
            held.add(new_ids if whole else new_ids.take(fresh))
            self._count += len(fresh)
            self._indexes.clear()
            self._rows.clear()
            self._motion = None
            self._torsos = None
        return len(fresh)

    def _unused_row_ids(self, count: int) -> list[str]:
        """count ids the bank does not hold: the next row numbers, passing over those taken
        (a bank built with on_invalid="skip", or with ids of its own, may hold them)."""
        ids: list[str] = []
        start = len(self)
        while len(ids) < count:
            candidates = [str(i) for i in range(start, start + count - len(ids))]
            held = self.contains_ids(candidates)
            ids += [c for c, taken in zip(candidates, held, strict=True) if not taken]
            start += len(candidates)
        return ids

    def contains_ids(self, ids) -> np.ndarray:
        """(N,) bool: which of some ids the bank holds (saved or added); one id (a string)
        is a list of one, so contains_ids("42") is (1,)."""
        with self._lock:
            return self._id_set().contains(arrow_ids(ids))

    def _id_set(self) -> IdSet:
        """The bank's ids for lookups, made on first use (a loaded bank reads its id column
        alone, not its other columns)."""
        if self._ids is None:
            if self._records is None and self._read_ids is not None:
                base = self._read_ids()
            else:
                base = self._base_records().column(ID)
            self._ids = IdSet(base)
            for part in self._new_records:
                self._ids.add(part.column(ID))
        return self._ids

    @classmethod
    def load(cls, path: str | Path, *, version: int | None = None, verify: bool = True,
             index: str = DEFAULT_INDEX) -> PoseBank:
        """Open a saved bank, a local folder or a URI (s3://...): its latest version, or an
        older one (format 2). Raises BankError if it is missing, damaged or of another
        format, UnknownIndexError for an index kind not in movemirror.index.INDEX_KINDS."""
        check_index(index)  # before the bank is read
        stored = storage.read_bank(path, version=version, verify=flag(verify, "verify"))
        bank = cls(stored.records, stored.vectors, path=path, index=index, tables=stored.tables,
                   generation=stored.generation)
        bank._read_ids = stored.read_ids
        bank.format = stored.format
        bank._images = []
        bank._committed = len(stored.vectors)
        bank._pictures = stored.pictures
        bank._committed_tables = dict(stored.tables)
        return bank

    def save(self, path: str | Path | None = None) -> None:
        """Commit the bank to path (default: where it was loaded from or last saved).

        To the bank it was loaded from (format 2), only what is new is written: one append,
        a new version. Anywhere else, the whole bank is written as a new version replacing
        any bank there. Either way a crash leaves the last committed version readable.
        Raises BankError where no bank's folder can be (a file there or above it).
        """
        target = self.path if path is None else _path(path)
        if target is None:
            raise InvalidArgumentError("this bank was never saved: give save() a path")
        extends = (self.format is not None and self.path is not None
                   and storage.location_of(target) == storage.location_of(self.path))
        if extends:
            records, vectors = self._rows_from(self._committed)
            opened = self._pictures.dataset if self._pictures is not None else None
            version, opened = storage.append_bank(target, records, vectors, self._images,
                                                  self._new_table_rows(), opened=opened)
        else:
            version = storage.write_bank(target, self.records, np.asarray(self.vectors),
                                         self.images(range(len(self))), self.tables)
            opened = None
        self.path = target
        self.generation = version
        self.format = 2
        self._committed = len(self)
        self._pictures = storage.Pictures(storage.location_of(target), int(version), opened)
        self._committed_tables = dict(self.tables)
        self._images = []

    def _rows_from(self, start: int) -> tuple[pa.Table, np.ndarray]:
        """The records and vectors of rows start.. (the uncommitted ones), without joining
        them to the rest of the bank."""
        with self._parts_lock:
            # Records and vectors are joined on first use each, so their parts may differ.
            records = _tail(start, self._count, self._new_records, self._base_records,
                            lambda part, skip: part.slice(skip))
            vectors = _tail(start, self._count, self._new_vectors,
                            lambda: np.asarray(self._vectors), lambda part, skip: part[skip:])
        if not records:  # nothing new (and no need to read a loaded bank's records)
            return pa.table({ID: pa.array([], pa.string())}), np.empty((0, VECTOR_DIM),
                                                                       np.float32)
        return (pa.concat_tables(records, promote_options="default"),
                np.concatenate(vectors) if len(vectors) > 1 else vectors[0])

    def _new_table_rows(self) -> dict[str, pa.Table]:
        """Per extra table, the rows added since the last commit; a table that changed
        otherwise (not only grown) cannot be appended to."""
        out = {}
        for name, table in self.tables.items():
            stored = self._committed_tables.get(name)
            if stored is None:
                out[name] = table
                continue
            head = table.slice(0, stored.num_rows)
            if table.num_rows < stored.num_rows or not head.cast(stored.schema).equals(stored):
                raise ValueError(f"table {name!r} changed, not only grew, since it was saved; "
                                 "save the bank to a new path instead")
            if table.num_rows > stored.num_rows:
                out[name] = table.slice(stored.num_rows)
        return out

    # --- contents -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        # What a notebook shows of a bank: no records are read for it.
        saved = "not saved" if self.path is None else f"{self.path}, version {self.generation}"
        unsaved = len(self) - self._committed if self.path is not None else 0
        added = f", {unsaved} added since" if unsaved else ""
        return f"<PoseBank of {len(self)} poses ({saved}{added})>"

    @property
    def records(self) -> pa.Table:
        """One row per pose: id, keypoints and the metadata columns."""
        with self._parts_lock:
            base = self._base_records()
            if self._new_records:
                self._records = pa.concat_tables([base, *self._new_records],
                                                 promote_options="default")
                self._new_records = []
            return self._records if self._records is not None else base

    @records.setter
    def records(self, table: pa.Table) -> None:
        self._records, self._read_records, self._new_records = table, None, []
        self._ids = None
        self._torsos = None

    @property
    def vectors(self) -> np.ndarray:
        """(N, 52) float32: each pose's vector (movemirror.vectors)."""
        with self._parts_lock:
            if self._new_vectors:
                self._vectors = np.concatenate([np.asarray(self._vectors), *self._new_vectors])
                self._new_vectors = []
            return self._vectors

    @vectors.setter
    def vectors(self, matrix: np.ndarray) -> None:
        self._vectors, self._new_vectors, self._count = matrix, [], len(matrix)

    def _base_records(self) -> pa.Table:
        """The records before the parts added since (read on first use if loaded)."""
        if self._records is None and self._read_records is not None:
            self._records = self._read_records()
            self._read_records = None
        assert self._records is not None
        return self._records

    @property
    def ids(self) -> list[str]:
        """Every pose's id, in row order."""
        return self.records.column(ID).to_pylist()

    @property
    def keypoints(self) -> np.ndarray:
        """(N, 17, 3) float32: every pose's keypoints (x, y in pixels, score), in row order."""
        flat = self.records.column(KEYPOINTS).combine_chunks().flatten().to_numpy()
        return flat.reshape(len(self), NUM_KEYPOINTS, 3)

    def _row(self, row) -> int:
        """A row number as an int; InvalidTypeError (a TypeError) if it is not a whole number,
        RowError (an IndexError) if the bank has no such row."""
        if not isinstance(row, numbers.Integral) or isinstance(row, bool):
            raise InvalidTypeError(f"a row is a whole number, not {row!r}")
        index = int(row)
        if not 0 <= index < len(self):
            raise RowError(f"row {index} is not in the bank ({len(self)} poses)")
        return index

    def image(self, i: int) -> bytes | None:
        """Pose i's picture (JPEG bytes), or None if it has none."""
        return self.images([i])[0]

    def images(self, rows) -> list[bytes | None]:
        """The pictures of some rows, in their order (stored ones are read by row)."""
        rows = [self._row(row) for row in rows]
        stored = [row for row in rows if row < self._committed]
        found = {}
        if stored and self._pictures is not None:
            found = dict(zip(stored, self._pictures.read(stored, self._stored_ids), strict=True))
        return [found.get(row) if row < self._committed
                else self._images[row - self._committed] for row in rows]

    def _stored_ids(self, rows: list[int]) -> list[str]:
        column = self._base_records().column(ID)
        return [str(column[row].as_py()) for row in rows]

    def record(self, i: int) -> dict:
        """The metadata of pose i (a row, as search's indices give): id, source, frame_time,
        track, box, thumbnail, credit, licence, published_source (bank.schema.RECORD_FIELDS;
        None where unknown) and any other columns. RowError for a row the bank does not
        hold."""
        row = self.records.slice(self._row(i), 1).to_pylist()[0]
        row.pop(KEYPOINTS)
        return {**dict.fromkeys(RECORD_FIELDS), **row}

    # --- search -------------------------------------------------------------------------

    def search(self, queries, k: int = 10, metric: str = DEFAULT_METRIC,
               mirror: bool = False) -> SearchResult:
        """Top-k poses for each query pose (17, 3) or (Q, 17, 3), in pixels.

        Returns SearchResult(distances, indices, mirrored), each (Q, k), best first; k is cut
        to the bank's size (for "torso" and "likeness", to its poses with a torso); indices
        are bank rows, for record(row) and image(row). metric: "likeness" (the default),
        "cosine", "weighted" or "torso" (movemirror.distances). With mirror=True each query
        is also searched mirrored left-right, each bank pose kept once (its better side), and
        mirrored[q, j] tells whether match j came from the mirrored query; without it,
        mirrored is all False.

        metric="likeness" (the default) always searches both ways round, whatever `mirror`
        says: among the poses with a torso, cosine's best in blocks of 10, each block
        re-ordered by the torso distance (movemirror.quality.likeness), whose distances it
        returns (in order within each block of 10). A query without a confident shoulder or
        hip is not refused: it gets stage one's order and cosine distances (metric="torso"
        refuses it).

        Raises PoseError for a pose of another shape, not numbers, or that cannot be
        vectorised (naming it), UnknownMetricError for a metric, and InvalidArgumentError
        for k (a whole number, 1 or more) or mirror (True or False).
        """
        # The common answers first, without whole_number's isinstance of numbers.Integral
        # (an abstract class: 0.27 us, of about 2.5 around a one-pose search).
        if type(k) is not int or k < 1:
            k = whole_number(k, "k")
        if mirror is not False and mirror is not True:
            mirror = flag(mirror, "mirror")
        search_metric(metric)  # an unknown one is told every choice, "likeness" among them
        if metric == LIKENESS:
            return self._search_likeness(queries, k)
        index = self._indexes.get(metric)  # built already: no lock to take
        if index is None:
            index = self.index(metric)  # (refuses an unknown metric)
        rows = self._rows.get(metric)
        poses = as_pose_array(queries)
        if not mirror:
            distances, indices = index.search_poses(poses, k)
            return SearchResult(distances, _bank_rows(indices, rows),
                                np.zeros(indices.shape, bool))
        distances, indices, mirrored = index.search_poses_mirrored(poses, k)
        return SearchResult(distances, _bank_rows(indices, rows), mirrored)

    def _search_likeness(self, queries, k: int) -> SearchResult:
        poses = as_pose_array(queries)
        index = self._indexes.get(LIKENESS) or self.index(LIKENESS)
        distances, indices, mirrored = index.search_poses_mirrored(poses,
                                                                   likeness.candidates(k))
        indices = _bank_rows(indices, self._rows.get(LIKENESS))
        torsos = self._torsos
        if torsos is None:  # an adopted index (adopt_indexes)
            with self._lock:
                if self._torsos is None:
                    self._torsos = likeness.BankTorsos(self.keypoints)
                torsos = self._torsos
        likeness.reorder(poses, torsos, distances, indices, mirrored)
        return SearchResult(distances[:, :k], indices[:, :k], mirrored[:, :k])

    def search_motion(self, poses, times, k: int = DEFAULT_K, metric: str = MOTION_METRIC,
                      mirror: bool = False, exhaustive: bool = False) -> list:
        """The k windows of the bank's tracks that move most like a movement, best first,
        each track at most once: a list of movemirror.motion.search.MotionMatch (track,
        start, end, speed, distance, mirrored, row).

        poses (T, 17, 3) in pixels at times (T,) in seconds, increasing, T >= 2. A window's
        poses, resampled at your times at a speed of 0.67x to 1.5x, are compared pose by pose
        with the distances of search, averaged, plus how the poses change (see
        movemirror.motion.windows). Approximate unless exhaustive (see
        movemirror.motion.search): it scores only the windows its index proposes, so a large
        k may give fewer matches than the bank has tracks (exhaustive=True gives one for every
        track that can match). Raises MotionError for a bad movement, PoseError for a bad
        pose.
        """
        return self.motion_index().search(poses, times, k=k, metric=metric, mirror=mirror,
                                          exhaustive=exhaustive)

    def motion_index(self):
        """The index of the bank's moving tracks (movemirror.motion.search.MotionIndex),
        built on first use."""
        from movemirror.motion.search import MotionIndex
        from movemirror.motion.tracks import bank_tracks

        with self._lock:
            if self._motion is None:
                self._motion = MotionIndex(self.vectors, self.keypoints,
                                           bank_tracks(self.records))
            return self._motion

    def built_indexes(self) -> dict[str, tuple[Index, np.ndarray | None]]:
        """Each metric's index built so far, with the bank rows it searches (None: all);
        what adopt_indexes takes, e.g. in another process serving the same bank version."""
        with self._lock:
            return {metric: (index, self._rows.get(metric))
                    for metric, index in self._indexes.items()}

    def adopt_indexes(self, indexes: dict[str, tuple[Index, np.ndarray | None]]) -> None:
        """Search with indexes built elsewhere (built_indexes of this bank's version)."""
        with self._lock:
            for metric, (index, rows) in indexes.items():
                self._indexes[metric] = index
                if rows is None:
                    self._rows.pop(metric, None)
                else:
                    self._rows[metric] = rows

    def index(self, metric: str) -> Index:
        """The search index for a metric, built on first use.

        A metric with vectors of its own (Metric.vectorise) indexes the bank's poses that
        have them; poses that have none (torso_vectors: no confident shoulder or hip) are
        not among its matches.
        """
        if metric == LIKENESS:
            return self._likeness_index()
        spec = check_metric(metric)
        with self._lock:
            if metric not in self._indexes:
                vectors = self.vectors
                if spec.vectorise is not to_vectors:
                    vectors, self._rows[metric] = _own_vectors(self.keypoints, spec)
                self._indexes[metric] = build_index(vectors, metric, self.index_kind)
            return self._indexes[metric]

    def _likeness_index(self) -> Index:
        """Stage one of "likeness": cosine's index of the poses that have a torso (the cosine
        index itself when all have one)."""
        with self._lock:
            if LIKENESS in self._indexes:
                return self._indexes[LIKENESS]
            if self._torsos is None:
                self._torsos = likeness.BankTorsos(self.keypoints)
            usable = self._torsos.usable
        first = likeness.FIRST_STAGE
        if usable.all():
            index, rows = self.index(first), None
        else:
            rows = np.flatnonzero(usable).astype(np.int64)
            index = build_index(np.asarray(self.vectors)[rows], first, self.index_kind)
        with self._lock:
            if LIKENESS not in self._indexes:
                self._indexes[LIKENESS] = index
                if rows is not None:
                    self._rows[LIKENESS] = rows
            return self._indexes[LIKENESS]


def _tail(start: int, count: int, parts: list, read_base: Callable, cut: Callable) -> list:
    """Rows start.. of a base followed by parts (count rows in all), as pieces; the base is
    read only if some of its rows are wanted."""
    cursor = count - sum(len(part) for part in parts)  # where the parts begin
    pieces = [cut(read_base(), start)] if cursor > start else []
    for part in parts:
        skip = max(0, start - cursor)
        if skip < len(part):
            pieces.append(cut(part, skip))
        cursor += len(part)
    return pieces


def _path(path: str | Path | None) -> str | Path | None:
    """A local bank's Path, or a URI kept as a string (a Path would mangle s3://)."""
    if path is None or isinstance(path, Path):
        return path
    return path if "://" in path else Path(path)


def _own_vectors(keypoints: np.ndarray, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """A metric's vectors of the poses that have them, and their rows in the bank."""
    problems = metric.problems(keypoints) if len(keypoints) else []
    rows = np.flatnonzero([problem is None for problem in problems]).astype(np.int64)
    if not len(rows):
        return np.empty((0, VECTOR_DIM), np.float32), rows
    return metric.vectorise(keypoints[rows]), rows


def _bank_rows(indices: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return indices if rows is None else rows[indices]
