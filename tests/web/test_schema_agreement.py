"""The API's match model says of a pose what the bank's schema holds, with the same types."""

import pyarrow as pa

from movemirror.bank.schema import DESCRIPTION_SCHEMA, ID, KEYPOINTS, MATCH_FIELDS, THUMBNAIL
from movemirror.server.records import FILE
from movemirror.server.schemas import Match

_PYTHON = {pa.string(): str, pa.float64(): float}


def test_a_match_declares_the_banks_match_fields_with_their_types():
    declared = Match.model_fields
    assert set(declared) == {ID, "distance", "mirrored", THUMBNAIL, FILE, "image_pose", KEYPOINTS,
                             *MATCH_FIELDS}
    for name in MATCH_FIELDS:
        assert declared[name].annotation == (_PYTHON[DESCRIPTION_SCHEMA.field(name).type] | None)
