import numpy as np
import pytest

from movemirror.ingest.frames import (
    DecodeError,
    probe_video,
    read_photo,
    sample_times,
    video_frames,
)


def test_photo_decodes_to_rgb(lspet_images):
    image, scale = read_photo(lspet_images[0])
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert scale == 1.0


def test_large_photo_is_shrunk_and_says_by_how_much(lspet_images, tmp_path):
    from PIL import Image

    big = tmp_path / "big.png"
    with Image.open(lspet_images[0]) as image:
        width = 3000
        image.resize((width, round(image.height * width / image.width))).save(big)
    frame, scale = read_photo(big)
    assert max(frame.shape[:2]) == 2048
    assert scale == pytest.approx(frame.shape[1] / width, rel=1e-3)


def test_bad_photos_raise_decode_error(bad_files, tmp_path):
    for name in ("truncated.jpg", "text.jpg", "empty.jpg"):
        with pytest.raises(DecodeError, match="cannot decode image"):
            read_photo(tmp_path / "bad" / name)


@pytest.mark.parametrize("every_ms", [100, 200, 500])
def test_video_is_sampled_on_the_time_grid(pose_video, every_ms):
    info = probe_video(pose_video)
    assert info.fps == pytest.approx(30) and info.duration == pytest.approx(4.0, abs=0.1)
    times = [t for t, _, _ in video_frames(pose_video, every_ms)]
    expected = sample_times(info.duration, every_ms)
    assert len(times) == len(expected)
    # each sample is the first frame at or after its grid time: within one frame of it
    assert np.all(np.asarray(times) >= np.asarray(expected) - 1e-6)
    assert np.all(np.asarray(times) - np.asarray(expected) < 1 / info.fps + 1e-6)


def test_segments_sample_exactly_what_the_whole_video_samples(street_video):
    whole = [(round(t, 4), frame) for t, _, frame in video_frames(street_video, 100)]
    parts = []
    for start, end in ((0.0, 1.3), (1.3, 2.9), (2.9, None)):
        parts += [(round(t, 4), frame) for t, _, frame in
                  video_frames(street_video, 100, start, end)]
    assert [t for t, _ in parts] == [t for t, _ in whole]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(parts, whole, strict=True))


def test_large_video_frames_are_shrunk_while_decoding(street_video):
    t, scale, frame = next(video_frames(street_video, 200, max_side=640))
    assert frame.shape == (360, 640, 3) and scale == pytest.approx(0.5)


def test_corrupt_video_raises_decode_error(bad_files, tmp_path):
    with pytest.raises(DecodeError):
        list(video_frames(tmp_path / "bad" / "corrupt.mp4", 200))


def test_a_scan_above_pils_bomb_warning_is_read_shrunk(pose_photo, tmp_path):
    """A 100-megapixel scan is a photo, not a decompression bomb: it is read (JPEG decodes
    it straight to a fraction of its size) like any large photo; only absurd sizes are refused."""
    from PIL import Image

    scan = tmp_path / "scan.jpg"
    width, height = 12000, 8400  # 100.8 MP, above PIL's 89.5 MP warning
    with Image.open(pose_photo) as image:
        image.resize((width, height)).save(scan, quality=60)
    frame, scale = read_photo(scan)
    assert max(frame.shape[:2]) == 2048
    assert scale == pytest.approx(frame.shape[1] / width, rel=1e-3)
