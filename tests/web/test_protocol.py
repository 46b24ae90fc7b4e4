"""The stream's fast message reader agrees with the StreamQuery schema on every message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from movemirror.server.protocol import parse_query
from movemirror.server.schemas import StreamQuery, describe_error

POSE = [[100.0 + i, 200.0 + 2 * i, 0.9] for i in range(17)]


def message(**fields) -> str:
    return json.dumps({"keypoints": POSE, "width": 640, "height": 480, **fields})


CASES = [
    message(),
    message(id=3, k=7, metric="weighted", mirror=True),
    message(id="abc"),
    message(k=0), message(k=51), message(k=2.5), message(k=True), message(k="3"),
    message(metric="l2"), message(mirror="yes"), message(mirror=1),
    message(id=1.5), message(id=[1]), message(id=True),
    message(width=0), message(width=-3), message(height=1e9), message(width="640"),
    message(width=True), message(extra=1),
    message(motion=True, time=12.5), message(motion=True), message(time=3),
    message(motion="yes"), message(motion=1), message(time="3"), message(time=True),
    message(time=None, motion=False),
    json.dumps({"keypoints": POSE[:16], "width": 1, "height": 1}),
    json.dumps({"keypoints": [p[:2] for p in POSE], "width": 1, "height": 1}),
    json.dumps({"keypoints": [[*p, 1] for p in POSE], "width": 1, "height": 1}),
    json.dumps({"keypoints": [[True, 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [["1.5", 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [["x", 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[None, 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[[1], 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [{"1": 0, "2": 0, "3": 0}] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": ["123"] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[1e300, 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[1, 1, -1e39]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[3.4028234e38, 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[1, "x", 1]] + [[1, 1, 1]] * 16, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[1, 1, 1]] * 16 + ["abc"], "width": 1, "height": 1}),
    json.dumps({"keypoints": [[{"a": 1}, 1, 1]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[[1], [2], [3]]] * 17, "width": 1, "height": 1}),
    json.dumps({"keypoints": [[1, 1, 1]] * 16 + [3], "width": 1, "height": 1}),
    json.dumps({"keypoints": {str(i): [1, 1, 1] for i in range(17)}, "width": 1, "height": 1}),
    message().replace("100.0", "NaN"), message().replace("100.0", "Infinity"),
    message().replace("640", "1e999"),
    json.dumps({"width": 1, "height": 1}), "[]", "{", "null", '"text"', "[" * 5000 + "]" * 5000,
]


@pytest.mark.parametrize("text", CASES)
def test_fast_reader_agrees_with_the_schema(text):
    try:
        expected = StreamQuery.model_validate_json(text)
    except ValidationError:
        expected = None
    if expected is None:
        with pytest.raises(ValidationError):
            parse_query(text)
        return
    query = parse_query(text)
    assert query.id == expected.id
    assert np.array_equal(query.keypoints, np.asarray(expected.keypoints, np.float32))
    assert query.keypoints.dtype == np.float32 and query.keypoints.shape == (17, 3)
    assert (query.width, query.height, query.k, query.metric, query.mirror, query.motion,
            query.time) == (expected.width, expected.height, expected.k, expected.metric,
                            expected.mirror, expected.motion, expected.time)



@pytest.mark.parametrize("field, value, words", [
    ("k", "3", "valid integer"), ("k", 3.0, "valid integer"), ("mirror", "yes", "valid boolean"),
    ("mirror", 1, "valid boolean"), ("one_per_frame", "true", "valid boolean"),
    ("motion", "true", "valid boolean"), ("width", "640", "valid number"),
    ("time", "3", "valid number"),
])
def test_a_string_or_number_in_place_of_the_other_is_refused_naming_the_field(field, value,
                                                                             words):
    with pytest.raises(ValidationError) as refused:
        parse_query(message(**{field: value}))
    assert describe_error(refused.value).startswith(f"{field}: ")
    assert words in describe_error(refused.value)
