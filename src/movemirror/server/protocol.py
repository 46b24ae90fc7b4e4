"""Reading stream messages fast: a camera-rate client sends thousands of them a second.

A well-formed message is read with orjson and numpy; anything unusual goes through the
StreamQuery schema, which decides and names the problem. The fast path accepts nothing the
schema would refuse, so both give the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeGuard

import numpy as np
import orjson

from movemirror.distances import SEARCH_METRICS
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.server.schemas import MAX_FRAME_SIDE, StreamQuery

_FIELDS = StreamQuery.model_fields
_KEYS = frozenset(_FIELDS)
_METRICS = frozenset(SEARCH_METRICS)
_NUMBER_TYPES = frozenset((int, float))
_MAX_K = next(m.le for m in _FIELDS["k"].metadata if hasattr(m, "le"))


@dataclass(slots=True)
class Query:
    id: int | str | None
    keypoints: np.ndarray  # (17, 3) float32
    width: float
    height: float
    k: int
    metric: str
    mirror: bool
    motion: bool = False  # also match the connection's recent movement
    time: float | None = None  # the client's seconds; None: on arrival
    one_per_frame: bool = False  # at most one match per photo or video second


def parse_query(text: str) -> Query:
    """The query in a message; raises pydantic.ValidationError naming what is wrong."""
    try:  # orjson refuses NaN, huge integers and deep nesting: the schema then names them
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = None
    query = _fast(data) if isinstance(data, dict) else None
    if query is not None:
        return query
    model = StreamQuery.model_validate_json(text)
    return Query(model.id, np.asarray(model.keypoints, np.float32), model.width, model.height,
                 model.k, model.metric, model.mirror, model.motion, model.time,
                 model.one_per_frame)


def _is_number(value: Any) -> TypeGuard[float]:
    return type(value) in (int, float) and math.isfinite(value)


def _fast(data: dict) -> Query | None:
    if not data.keys() <= _KEYS:
        return None
    keypoints = data.get("keypoints")
    if type(keypoints) is not list or len(keypoints) != NUM_KEYPOINTS:
        return None
    if not all(type(point) is list and len(point) == 3 for point in keypoints):
        return None
    if not _NUMBER_TYPES.issuperset(map(type, chain.from_iterable(keypoints))):
        return None  # np.fromiter would take "1.5" and true, which the (strict) schema refuses
    try:  # several times faster than np.array on nested lists
        with np.errstate(over="ignore"):  # too large for float32: infinite, refused below
            array = np.fromiter(chain.from_iterable(keypoints), np.float32, NUM_KEYPOINTS * 3)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(array).all():  # also what only float64 holds: the schema decides
        return None
    width, height = data.get("width"), data.get("height")
    if not (_is_number(width) and _is_number(height)):
        return None
    if not (0 < width <= MAX_FRAME_SIDE and 0 < height <= MAX_FRAME_SIDE):
        return None
    k = data.get("k", _FIELDS["k"].default)
    metric = data.get("metric", _FIELDS["metric"].default)
    mirror = data.get("mirror", _FIELDS["mirror"].default)
    query_id = data.get("id")
    one_per_frame = data.get("one_per_frame", _FIELDS["one_per_frame"].default)
    if type(k) is not int or not 1 <= k <= _MAX_K or metric not in _METRICS:
        return None
    if type(mirror) is not bool or type(one_per_frame) is not bool:
        return None
    if not (query_id is None or type(query_id) in (int, str)):
        return None
    motion, seen = data.get("motion", False), data.get("time")
    if type(motion) is not bool or not (seen is None or _is_number(seen)):
        return None
    return Query(query_id, array.reshape(NUM_KEYPOINTS, 3), float(width), float(height), k, metric,
                 mirror, motion, None if seen is None else float(seen), one_per_frame)
