"""Bad input: each gets a clear error naming the file; huge images are downscaled first."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from movemirror.pose import ImageError
from movemirror.pose.image import MAX_SIDE, load_image


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.jpg"
    with pytest.raises(ImageError, match="nowhere.jpg: no such file"):
        load_image(path)


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="not a file"):
        load_image(tmp_path)


def test_non_image_file_is_named(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is text, not a JPEG\n")
    with pytest.raises(ImageError, match="notes.jpg: not a readable image"):
        load_image(path)


def test_truncated_jpeg_is_named(tmp_path, pose_jpg):
    data = pose_jpg.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError, match="cut.jpg: damaged or truncated"):
        load_image(path)


def test_empty_file_is_named(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match="empty.png"):
        load_image(path)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_absurdly_large_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(60_000, 60_000))
    with pytest.raises(ImageError, match="bomb.png"):
        load_image(path)


def test_the_project_s_pixel_limit_is_its_own_not_pil_s_global():
    """Importing movemirror's image reader leaves PIL's own limit as it was for every other
    reader in the process (it once raised it to 400 MP for all of them)."""
    import subprocess
    import sys

    code = ("from PIL import Image; before = Image.MAX_IMAGE_PIXELS; "
            "import movemirror.pose, movemirror.pose.image, movemirror.ingest.frames; "
            "print(before, Image.MAX_IMAGE_PIXELS)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    before, after = out.stdout.split()
    assert after == before


@pytest.mark.parametrize("width, height", [(20_000, 10_000), (19_000, 21_000)])
def test_a_scan_past_pil_s_bomb_error_but_under_the_limit_is_read_not_refused(tmp_path, width,
                                                                             height):
    # 200 and 399 MP: past the 179 MP at which PIL's own open refuses, under 400 MP. Only a
    # header: read, it is found truncated, not too large, and PIL's limit is left as it was.
    path = tmp_path / "scan.png"
    path.write_bytes(_png_header_only(width, height))
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageError, match="scan.png: damaged or truncated"):
        load_image(path)
    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.parametrize("width, height", [(25_000, 20_000), (20_001, 20_000)])
def test_an_image_over_the_limit_is_refused_naming_its_size(tmp_path, width, height):
    # 500 and 400.02 MP: refused by the size in its header, before anything is decoded (the
    # 500 MP PNG was once decoded for its EXIF first).
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(width, height))
    with pytest.raises(ImageError, match=f"bomb.png: image too large \\({width} x {height} "
                                         "pixels\\)"):
        load_image(path)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((10, 10), np.uint8), "shape"),
        (np.zeros((10, 10, 4), np.uint8), "shape"),
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((0, 10, 3), np.uint8), "empty"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(ImageError, match=message):
        load_image(array)


def test_huge_jpeg_is_decoded_small(tmp_path, pose_jpg):
    big = Image.open(pose_jpg).resize((6000, 4002), Image.Resampling.BILINEAR)
    path = tmp_path / "big.jpg"
    big.save(path, quality=80)
    loaded = load_image(path)
    assert max(loaded.image.size) <= MAX_SIDE
    assert loaded.image.width * loaded.scale == pytest.approx(6000, rel=1e-3)


def test_grey_and_transparent_images_become_rgb(tmp_path, pose_jpg):
    grey = tmp_path / "grey.png"
    Image.open(pose_jpg).convert("L").save(grey)
    assert load_image(grey).image.mode == "RGB"
    rgba = tmp_path / "rgba.png"
    Image.open(pose_jpg).convert("RGBA").save(rgba)
    assert load_image(rgba).image.mode == "RGB"


def test_exif_rotated_photo_is_seen_upright(tmp_path, pose_jpg):
    image = Image.open(pose_jpg)
    stored = image.transpose(Image.Transpose.ROTATE_90)  # stored sideways ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... with "rotate 90 clockwise to view"
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif)
    loaded = load_image(path)
    assert loaded.image.size == image.size


@pytest.mark.parametrize("options, problem", [
    ({"max_people": 2.5}, r"max_people must be a whole number \(1 or more\), not 2.5"),
    ({"max_people": 0}, "max_people must be at least 1, not 0"),
    ({"min_pose_score": 2}, r"min_pose_score must lie in \[0, 1\] \(a pose's score\), not 2"),
    ({"min_pose_score": float("nan")}, r"min_pose_score must lie in \[0, 1\]"),
    ({"min_pose_score": "0.5"}, r"min_pose_score must lie in \[0, 1\] .*, not '0.5'"),
])
def test_estimate_names_an_option_out_of_its_range(models_ready, pose_jpg, options, problem):
    # max_people=2.5 once failed on a slice inside the estimator (TypeError), and
    # min_pose_score=2, above any pose's score, answered "nobody here" ([]) without a word;
    # min_pose_score="0.5" failed on the comparison (TypeError).
    from movemirror.pose import PoseEstimator

    estimator = PoseEstimator("lightning", mode="fast", threads=1)
    with pytest.raises(ValueError, match=problem):
        estimator.estimate(pose_jpg, **options)
    assert len(estimator.estimate(pose_jpg, max_people=1, min_pose_score=0.0)) == 1


@pytest.mark.parametrize("options, problem", [
    ({"threads": 1.5}, r"threads must be a whole number \(1 or more\), not 1.5"),
    ({"threads": "2"}, r"threads must be a whole number \(1 or more\), not '2'"),
    ({"threads": 0}, "threads must be at least 1, not 0"),
    ({"max_side": 0}, "max_side must be at least 1, not 0"),
    ({"multipose_side": 256.0}, r"multipose_side must be a whole number"),
])
def test_an_estimator_names_a_number_it_cannot_take(options, problem):
    # threads=1.5 once failed inside ONNX Runtime's bindings at the first estimate ("incompatible
    # function arguments"), and max_side=0 shrank every photo to one pixel: no pose, no word.
    from movemirror.errors import InvalidArgumentError
    from movemirror.pose import PoseEstimator

    with pytest.raises(InvalidArgumentError, match=problem):
        PoseEstimator("lightning", mode="fast", **options)
    assert PoseEstimator("lightning", mode="fast", threads=None).threads is None


@pytest.mark.parametrize("options, problem", [
    ({"mode": ["best"]}, r"unknown mode \['best'\]; choose one of fast, crop, accurate, best$"),
    ({"model": ["thunder"]}, r"unknown pose model \['thunder'\]; choose one of lightning, "),
    ({"mode": "quick"}, r"unknown mode 'quick'; choose one of fast, crop, accurate, best$"),
])
def test_estimate_names_the_modes_and_models_for_one_it_does_not_know(pose_jpg, options,
                                                                     problem):
    # mode=["x"] once failed on estimate's cache of estimators: "unhashable type: 'list'".
    import movemirror
    from movemirror.errors import InvalidArgumentError
    from movemirror.pose import PoseEstimator

    with pytest.raises(InvalidArgumentError, match=problem):
        movemirror.estimate(pose_jpg, **options)
    with pytest.raises(InvalidArgumentError, match=problem):
        PoseEstimator(**options)
