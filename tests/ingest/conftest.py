"""Real inputs for ingestion tests, and bad files made on the spot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError


def data(name: str) -> Path:
    try:
        return dataset_dir(name)
    except DatasetMissingError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def lspet_images() -> list[Path]:
    return sorted((data("lspet") / "images").glob("*.jpg"))


@pytest.fixture(scope="session")
def pose_video() -> Path:
    """One person moving, 4 s at 30 fps, 576 x 576."""
    return data("tfjs-pose-detection-testdata") / "pose_1.mp4"


@pytest.fixture(scope="session")
def pose_photo() -> Path:
    """One person, 1000 x 667."""
    return data("tfjs-pose-detection-testdata") / "pose.jpg"


@pytest.fixture(scope="session")
def street_video() -> Path:
    """Several people walking, 4.1 s at 50 fps, 1280 x 720."""
    return data("openpose-media") / "video.avi"


@pytest.fixture
def bad_files(tmp_path, lspet_images, pose_video) -> dict[str, Path]:
    """One file of each bad kind, made from real files, with the start of its expected reason."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    jpeg = lspet_images[0].read_bytes()
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (folder / "text.jpg").write_text("this is not a photo\n")
    video = pose_video.read_bytes()
    # The header survives, the rest is noise: the container opens but nothing decodes.
    (folder / "corrupt.mp4").write_bytes(video[:48] + bytes(range(256)) * 64)
    (folder / "text.mp4").write_text("not a video either\n")
    return {
        "empty.jpg": "empty file",
        "truncated.jpg": "cannot decode image",
        "text.jpg": "not an image",
        "corrupt.mp4": "cannot decode video",
        "text.mp4": "not a video",
    }


@pytest.fixture
def some_photos(tmp_path, lspet_images) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for image in lspet_images[:12]:
        shutil.copy(image, folder / image.name)
    return folder
