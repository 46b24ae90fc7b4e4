"""Reading stream messages fast: a camera-rate client sends thousands of them a second.

A well-formed message is read with orjson and checked with C builtins (its arrays are built
only when it is answered, see read_fields); anything unusual goes through the
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

from movemirror.distances import METRICS
from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.server.schemas import MAX_FRAME_SIDE, StreamQuery

_FIELDS = StreamQuery.model_fields
_KEYS = frozenset(_FIELDS)
_METRICS = frozenset(METRICS)
_MAX_K = next(m.le for m in _FIELDS["k"].metadata if hasattr(m, "le"))
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
    fields = read_fields(text)
    if fields is not None:
        return query_from_fields(fields)
    model = StreamQuery.model_validate_json(text)
    return Query(model.id, np.asarray(model.keypoints, np.float32), model.width, model.height,
                 model.k, model.metric, model.mirror, model.motion, model.time,
                 model.one_per_frame)


def read_fields(text: str) -> dict | None:
    """The message's fields when they are certainly a valid query, checked without building
    arrays (a message that may be superseded is not worth vectorising); None: parse_query
    decides, and names what is wrong."""
    try:  # orjson refuses NaN, huge integers and deep nesting: the schema then names them
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) and _well_formed(data) else None


def query_from_fields(fields: dict) -> Query:
    """The query of fields read_fields accepted."""
    array = np.fromiter(chain.from_iterable(fields["keypoints"]), np.float32,
                        NUM_KEYPOINTS * 3)  # several times faster than np.array on nested lists
    seen = fields.get("time")
    return Query(fields.get("id"), array.reshape(NUM_KEYPOINTS, 3), float(fields["width"]),
                 float(fields["height"]), fields.get("k", _FIELDS["k"].default),
                 fields.get("metric", _FIELDS["metric"].default),
                 fields.get("mirror", _FIELDS["mirror"].default), fields.get("motion", False),
                 None if seen is None else float(seen),
                 fields.get("one_per_frame", _FIELDS["one_per_frame"].default))


def _is_number(value: Any) -> TypeGuard[float]:
    return type(value) in (int, float) and math.isfinite(value)


def _keypoints_fit(keypoints: list) -> bool:
    """17 points of 3 numbers, all below float32's largest so the float32 array holds them
    finite; anything else (strings, infinities, what only float64 holds) goes to the schema.
    Checked by len, min and max, which run in C: several times faster than a test per value
    (a point that is a string or an object yields strings, which min, max or the bounds
    refuse)."""
    try:
        if len(keypoints) != NUM_KEYPOINTS or set(map(len, keypoints)) != {3}:
            return False
        values = list(chain.from_iterable(keypoints))
        return -_FLOAT32_MAX < min(values) and max(values) < _FLOAT32_MAX
    except TypeError:  # a point or value without a length or an order: null, a number, a list
        return False


def _well_formed(data: dict) -> bool:
    if not data.keys() <= _KEYS:
        return False
    keypoints = data.get("keypoints")
    if type(keypoints) is not list or not _keypoints_fit(keypoints):
        return False
    width, height = data.get("width"), data.get("height")
    if not (_is_number(width) and _is_number(height)):
        return False
    if not (0 < width <= MAX_FRAME_SIDE and 0 < height <= MAX_FRAME_SIDE):
        return False
    k = data.get("k", _FIELDS["k"].default)
    metric = data.get("metric", _FIELDS["metric"].default)
    mirror = data.get("mirror", _FIELDS["mirror"].default)
    query_id = data.get("id")
    one_per_frame = data.get("one_per_frame", _FIELDS["one_per_frame"].default)
    if type(k) is not int or not 1 <= k <= _MAX_K or metric not in _METRICS:
        return False
    if type(mirror) is not bool or type(one_per_frame) is not bool:
        return False
    if not (query_id is None or type(query_id) in (int, str)):
        return False
    motion, seen = data.get("motion", False), data.get("time")
    return type(motion) is bool and (seen is None or _is_number(seen))
