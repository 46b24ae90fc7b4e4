"""Quality filter, near-duplicate dropping, thumbnails and attribution on real poses and photos."""

import io

import numpy as np
import pytest
from PIL import Image

from movemirror.distances import cosine_distance
from movemirror.errors import AttributionError
from movemirror.ingest.attribution import Attribution
from movemirror.ingest.dedup import Deduplicator
from movemirror.ingest.frames import read_photo
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.thumbnails import DISPLAY_SIZE, crop_box, thumbnail
from movemirror.vectors import to_vectors


def _box(pose):
    xy = pose[:, :2]
    return xy.min(axis=0).tolist() + xy.max(axis=0).tolist()


def test_quality_filter_reasons(penn_valid):
    poses, _ = penn_valid
    pose = poses[0].copy()
    pose[:, 2] = 0.9
    box = _box(pose)
    frame = (box[2] + 10, box[3] + 10)
    keep_all = QualityFilter(min_pose_score=0, min_keypoints=0, full_body=False,
                             min_person_size=0)
    assert keep_all.problem(pose, 0.9, box, frame) is None
    assert QualityFilter(min_pose_score=0.5).problem(pose, 0.3, box, frame).startswith("pose score")
    legless = pose.copy()
    legless[13:, 2] = 0.05  # knees and ankles unseen: a half-body shot
    assert QualityFilter(min_keypoints=0).problem(legless, 0.9, box, frame) == "not full body"
    assert QualityFilter(min_keypoints=0, full_body=False).problem(
        legless, 0.9, box, frame) is None
    assert QualityFilter(min_keypoints=16).problem(legless, 0.9, box, frame).startswith("fewer")
    tiny = QualityFilter(min_person_size=0.5).problem(pose, 0.9, box, (frame[0] * 4, frame[1] * 4))
    assert tiny.startswith("person smaller")


def test_dedup_drops_a_repeated_pose_and_keeps_real_motion(penn_valid):
    poses, clips = penn_valid
    clip = poses[clips == clips[0]]
    vectors = to_vectors(clip)
    dedup = Deduplicator(threshold=0.08)
    kept = [dedup.frame(i * 0.2, [v], [_box(p)])[0] for i, (v, p) in enumerate(
        zip(vectors, clip, strict=True))]
    assert kept[0] and 0 < sum(kept) < len(kept)
    # what is kept differs from the previous kept pose by the threshold at least
    kept_vectors = vectors[np.array(kept)]
    gaps = [cosine_distance(a, b)[0, 0] for a, b in zip(kept_vectors, kept_vectors[1:],
                                                          strict=False)]
    assert min(gaps) >= 0.08
    # a still person: the same pose again and again is kept once
    still = Deduplicator(threshold=0.08)
    assert [still.frame(t, vectors[:1], [_box(clip[0])])[0] for t in range(5)] == [
        True, False, False, False, False]
    assert Deduplicator(threshold=0).frame(0, vectors[:1], [_box(clip[0])]) == [True]


def test_dedup_follows_each_person_by_box(penn_valid):
    poses, _ = penn_valid
    pose = poses[0]
    vector = to_vectors(pose)[0]
    left = np.array(_box(pose))
    right = left + np.array([1000, 0, 1000, 0])
    dedup = Deduplicator()
    assert dedup.frame(0.0, [vector, vector], [left, right]) == [True, True]
    assert dedup.frame(0.2, [vector, vector], [left, right]) == [False, False]
    assert dedup.frame(5.0, [vector], [left]) == [True]  # forgotten after a long gap


def test_person_thumbnail_frames_the_box(lspet_images):
    frame, _ = read_photo(lspet_images[0])
    height, width = frame.shape[:2]
    box = (width * 0.4, height * 0.3, width * 0.55, height * 0.7)
    crop = crop_box(box, (width, height))
    assert crop[0] <= box[0] and crop[1] <= box[1] and crop[2] >= box[2] and crop[3] >= box[3]
    assert 0 <= crop[0] and 0 <= crop[1] and crop[2] <= width and crop[3] <= height
    data = thumbnail(frame, crop, size=128)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and max(image.size) <= 128


def test_display_image_keeps_the_person_large_enough_to_show_big(pose_photo):
    """The default display image keeps up to 1024 px of the person's region (the page shows
    it at most 2x), and never enlarges a smaller one."""
    frame = np.asarray(Image.open(pose_photo).convert("RGB"))  # 1000 x 667
    height, width = frame.shape[:2]
    whole = Image.open(io.BytesIO(thumbnail(frame)))
    assert whole.size == (width, height)
    big = np.concatenate([frame, frame], axis=1)  # 2000 x 667: more than the display keeps
    assert max(Image.open(io.BytesIO(thumbnail(big))).size) == DISPLAY_SIZE == 1024


def test_attribution_from_csv_and_json(tmp_path):
    (tmp_path / "credits.csv").write_text(
        "file,credit,licence,source\nbeach.jpg,Photo: Ann,CC BY 4.0,https://example.org/ann\n"
        "*.mp4,Video: Bob,,\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "credits.json").write_text(
        '{"*": {"credit": "Carol", "license": "CC0", "url": "Carol Archive"}, "x.jpg": "Dan"}')
    credits = Attribution.load([tmp_path / "credits.csv", tmp_path / "sub" / "credits.json"])
    assert credits.lookup(tmp_path / "beach.jpg").credit == "Photo: Ann"
    assert credits.lookup(tmp_path / "beach.jpg").licence == "CC BY 4.0"
    assert credits.lookup(tmp_path / "clip.mp4").licence is None
    # The published source is the owner's words, never the file's path.
    assert credits.lookup(tmp_path / "beach.jpg").source == "https://example.org/ann"
    assert credits.lookup(tmp_path / "clip.mp4").source is None
    assert credits.lookup(tmp_path / "sub" / "y.png").source == "Carol Archive"
    assert credits.lookup(tmp_path / "sub" / "y.png").licence == "CC0"
    assert credits.lookup(tmp_path / "sub" / "x.jpg").credit == "Dan"
    assert credits.lookup(tmp_path / "other.png") is None
    (tmp_path / "bad.csv").write_text("name,credit\na,b\n")
    with pytest.raises(AttributionError, match="file"):
        Attribution.load([tmp_path / "bad.csv"])


class _MultiPoseMisses:
    """The real estimator, except that MultiPose (several people) finds nobody."""

    def __init__(self, estimator):
        self.estimator = estimator
        self.calls: list[int] = []

    def estimate(self, frame, *, max_people=1):
        self.calls.append(max_people)
        return [] if max_people > 1 else self.estimator.estimate(frame, max_people=1)


def test_a_body_multipose_misses_is_found_by_the_single_person_model(lspet_images):
    from movemirror.ingest.engines.local import make_estimator
    from movemirror.ingest.work import Settings, Unit, process_unit
    from movemirror.pose import ModelMissingError

    try:
        estimator = make_estimator("lightning", "fast").load()
    except ModelMissingError as error:
        pytest.skip(str(error))
    loose = QualityFilter(min_pose_score=0, min_keypoints=5, full_body=False, min_person_size=0)
    photo = str(lspet_images[0])
    single = estimator.estimate(read_photo(photo)[0], max_people=1)
    assert single
    missing = _MultiPoseMisses(estimator)
    result = process_unit(Unit(photo, "0" * 64, "photo"),
                          Settings(model="lightning", mode="fast", quality=loose), missing)
    assert missing.calls == [6, 1] and len(result.entries) == 1
    np.testing.assert_allclose(result.entries[0].keypoints, single[0].keypoints)
    # MultiPose's own model has no single-person fallback: nobody found stays nobody found
    missing.calls.clear()
    result = process_unit(Unit(photo, "0" * 64, "photo"),
                          Settings(model="multipose", mode="fast", quality=loose), missing)
    assert missing.calls == [6] and not result.entries
    assert result.rejected["no person found"] == 1
