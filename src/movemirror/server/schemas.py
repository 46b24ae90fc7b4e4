"""Request and response bodies of the search API, shared by POST /api/search and the stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, FiniteFloat, ValidationError

from movemirror.distances import DEFAULT_METRIC, LIKENESS_METRIC, SEARCH_METRICS, VALID_METRICS
from movemirror.keypoints import NUM_KEYPOINTS

MAX_FRAME_SIDE = 100_000.0
FLOAT32_MAX = float(np.finfo(np.float32).max)

if TYPE_CHECKING:
    MetricName = str
else:  # the registry's names, so the API's schema lists exactly what the bank accepts
    MetricName = Literal[SEARCH_METRICS]


def _fits_float32(value: float) -> float:
    if abs(value) > FLOAT32_MAX:  # poses are searched as float32, where it would be infinite
        raise ValueError(f"too large: a keypoint's numbers are at most {FLOAT32_MAX:.1e} in size")
    return value


Float32 = Annotated[FiniteFloat, AfterValidator(_fits_float32)]
Keypoint = Annotated[list[Float32], Field(min_length=3, max_length=3)]


class SearchOptions(BaseModel):
    # Strict: the types are what the API documents, so "3" is not a k nor "yes" a mirror
    # (a 422 naming the field); a whole JSON number still counts for a float field.
    model_config = ConfigDict(strict=True)

    k: int = Field(10, ge=1, le=50, description="how many matches to return")
    metric: MetricName = Field(
        DEFAULT_METRIC, description=", or ".join(
            f"{m.name}: {m.description}" for m in (*VALID_METRICS.values(), LIKENESS_METRIC))
    )
    mirror: bool = Field(False, description="also match the pose mirrored left-right")
    one_per_frame: bool = Field(
        False, description="at most one match per source frame (one photo, or one second of "
                           "one video): the best of each, so no moment fills every place")


class PoseQuery(SearchOptions):
    """One pose: 17 keypoints (PoseNet order) as [x, y, score] in pixels of its frame."""

    model_config = ConfigDict(extra="forbid")

    id: int | str | None = Field(
        None, description="echoed back in the reply, to pair replies with queries"
    )
    keypoints: Annotated[list[Keypoint], Field(
        min_length=NUM_KEYPOINTS, max_length=NUM_KEYPOINTS,
        description="17 x [x, y, score] in PoseNet's order (nose, eyes, ears, shoulders, "
                    "elbows, wrists, hips, knees, ankles; left before right): x and y in "
                    "pixels of the frame from its top left, score in [0, 1]. A keypoint "
                    "counts as seen at 0.2 or more; a pose needs 5 seen keypoints, not all "
                    "on one point (else 422, or a bad_pose frame)")]
    width: FiniteFloat = Field(gt=0, le=MAX_FRAME_SIDE, description=(
        "frame width in pixels (checked, not used: a pose is searched by its own shape, so "
        "any frame size gives the same matches)"))
    height: FiniteFloat = Field(gt=0, le=MAX_FRAME_SIDE, description="frame height in pixels")


class StreamQuery(PoseQuery):
    """One pose of the WebSocket stream: a PoseQuery, and whether to match a movement too."""

    motion: bool = Field(False, description=(
        "also answer with the windows of the bank's tracks that move most like this "
        "connection's last poses sent with motion: true (see GET /api/stream)"))
    time: FiniteFloat | None = Field(None, description=(
        "when the pose was seen, in seconds of the client's clock (e.g. performance.now() / "
        "1000); the server's time of arrival if left out"))


class Match(BaseModel):
    # Besides id, distance, mirrored and file: movemirror.bank.schema's MATCH_FIELDS, typed as the
    # bank stores them (tests/web/test_schema_agreement.py holds the two together).
    id: str = Field(description="the pose's id in the bank")
    distance: float = Field(description=(
        "how far the pose is from yours by the query's metric: 0 for the same pose, lower "
        "is closer; comparable within one metric only (under likeness, torso's distance "
        "within each group of 10 matches it re-orders)"))
    mirrored: bool = Field(description="matched the mirrored pose")
    thumbnail: str | None = Field(description="URL of the pose's image on this server")
    file: str | None = Field(None, description="the source's file name (never its path)")
    frame_time: float | None = Field(
        None, description="seconds into the video; null for a photo")
    credit: str | None = Field(None, description="whom to credit for the picture, if given")
    licence: str | None = Field(None, description="the picture's licence, if given")
    published_source: str | None = Field(
        None, description="the origin its owner chose to publish (a page or a name), if any")
    image_pose: list[list[float]] | None = Field(
        None, description="the pose in its image: 17 x [x, y, score], x and y as fractions of "
                          "the image's width and height; null where the bank does not say what "
                          "part of the source the image shows")
    keypoints: list[list[float]] | None = Field(
        None, description="the pose as the bank holds it, for a match whose image_pose is null "
                          "(no picture to place it on: a bank built from keypoints alone): 17 x "
                          "[x, y, score], x and y in pixels of its source; null where "
                          "image_pose gives the pose")


class MotionMatch(Match):
    """A window of a track that moves like you: the match fields are its pose at `start`."""

    track: str = Field(description="the track's name (GET /api/track?name=... plays it)")
    start: float = Field(description="the window's start, seconds into the track's video")
    end: float = Field(description="its end: where the track is now, to play on from")
    speed: float = Field(description="your pace relative to the clip's (0.75: three quarters)")


class TrackFrame(BaseModel):
    time: float = Field(description="seconds into the video")
    id: str = Field(description="the pose's id in the bank")
    thumbnail: str | None = Field(description="URL of the frame's image, if the bank has one")
    keypoints: list[list[float]] = Field(description="17 x [x, y, score], pixels of the source")
    image_pose: list[list[float]] | None = Field(
        None, description="the pose in the frame's image, as a match's image_pose gives it")


class TrackFrames(BaseModel):
    track: str = Field(description="the track's name, as asked for")
    frames: list[TrackFrame] = Field(description="its frames from start to end, in time order")


class SearchResponse(BaseModel):
    id: int | str | None = Field(None, description="the query's id, echoed back")
    matches: list[Match] = Field(description="the k closest poses, closest first (fewer if "
                                             "the bank holds fewer)")
    elapsed_ms: float = Field(description="milliseconds the server took to search")


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="where: e.g. [\"body\", \"keypoints\", 3, 1]")
    msg: str = Field(description="what is wrong there")
    type: str = Field(description="the kind of problem, e.g. finite_number or missing")


class ErrorBody(BaseModel):
    """What every refused request gets back (FastAPI's shape)."""

    detail: str | list[FieldProblem] = Field(description=(
        "what is wrong: for a malformed body (422), one entry per problem; otherwise a "
        "sentence, e.g. \"pose: only 3 confident keypoints (score >= 0.2); at least 5 are "
        "needed\" (422) or \"body over 16384 bytes\" (413)"))


class Health(BaseModel):
    status: Literal["ok"] = Field(description="always ok: the server is up with its bank")
    bank_size: int = Field(description="poses in the bank")
    bank: str | None = Field(description="the bank folder's name (never its path)")
    bank_version: str | None = Field(
        description="the bank's version (a Lance version number; a format-1 bank's "
                    "generation), new with every commit: during a rolling update or with "
                    "serve --follow, each replica shows which version of the bank it serves")
    web_modules: bool = Field(description="the browser packages (TF.js, models) are available")
    worker: int = Field(description="id of the server process that answered")
    query_log: bool = Field(description="this server logs the poses searched (serve "
                                        "--log-queries: keypoints only, never an image or address)")


def describe_error(error: ValidationError) -> str:
    """One line naming the first problem, e.g. 'keypoints.3.1: Input should be a finite number'."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
