"""The columns of a bank's records: their names and Arrow types, declared here only.

Every bank has `id` and `keypoints`; any other column is metadata. Stored, a bank also holds
each pose's `vector` and its picture as JPEG bytes (`image`), which are not records' columns:
the vectors live as a matrix beside them and a picture is read by row when it is shown.
RECORD_FIELDS are what PoseBank.record gives for every pose (None where a bank lacks them);
METADATA_SCHEMA is the whole set `movemirror index` writes; MATCH_FIELDS are what a server
tells its clients of a matched pose besides its id, thumbnail and file name (never the
source's path).
"""

from __future__ import annotations

import pyarrow as pa

from movemirror.keypoints import NUM_KEYPOINTS
from movemirror.vectors import VECTOR_DIM

ID = "id"
KEYPOINTS = "keypoints"
THUMBNAIL = "thumbnail"
FRAME_TIME = "frame_time"
TRACK = "track"
PUBLISHED_SOURCE = "published_source"
SOURCE = "source"
KEYPOINTS_TYPE = pa.list_(pa.float32(), NUM_KEYPOINTS * 3)  # x, y, score of each keypoint
VECTOR = "vector"
VECTOR_TYPE = pa.list_(pa.float32(), VECTOR_DIM)
IMAGE = "image"  # the pose's picture (JPEG) shown with a match; null where there is none
IMAGE_TYPE = pa.binary()

# What a pose is and where it comes from: every record offers these.
DESCRIPTION_SCHEMA = pa.schema([
    (SOURCE, pa.string()),  # the photo or video's path
    (FRAME_TIME, pa.float64()),  # seconds into the video; null for a photo
    # The poses of one person in one video, linked across frames (movement search's unit);
    # null: a track of one pose (a photo, or a pose no other was linked to).
    (TRACK, pa.string()),
    ("box", pa.list_(pa.float32())),  # the person's box in the source, pixels
    (THUMBNAIL, pa.string()),  # the picture's name under the bank (its address, /bank/<name>)
    ("credit", pa.string()),
    ("licence", pa.string()),
    # The work's origin as its owner chose to publish it (a sidecar's "source"): what the web
    # app shows, where "source" above is a path on the machine that indexed it.
    (PUBLISHED_SOURCE, pa.string()),
])
# What ingestion also records of each pose.
PROVENANCE_SCHEMA = pa.schema([
    ("kind", pa.string()),  # "photo" or "video"
    ("content_hash", pa.string()),  # of the source file
    ("person", pa.int16()),  # which person of the frame
    ("score", pa.float32()),  # the pose model's confidence
    ("model", pa.string()),
    ("thumb_box", pa.list_(pa.float32())),  # the part of the source the thumbnail shows
    ("width", pa.int32()),  # the source's size in pixels
    ("height", pa.int32()),
])
METADATA_SCHEMA = pa.schema([*DESCRIPTION_SCHEMA, *PROVENANCE_SCHEMA])

RECORD_FIELDS = (ID, *DESCRIPTION_SCHEMA.names)
MATCH_FIELDS = (FRAME_TIME, "credit", "licence", PUBLISHED_SOURCE)
