"""Walk the sources and sort files into photos and videos by their content, not their name.

Folders are walked recursively in a stable order; hidden files and folders are left out, and
so is the bank being written (its thumbnails are not part of the archive). Whatever cannot be
used is reported as a Skip with its reason, never raised.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".png", ".webp"}
VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".ts",
                    ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv", ".gif"}
SNIFF_BYTES = 16


@dataclass(frozen=True)
class MediaFile:
    path: Path
    kind: str  # "photo" or "video"
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Skip:
    path: Path
    reason: str


def sniff(head: bytes) -> str | None:
    """The kind of a file from its first bytes: "photo", "video" or None if not recognised."""
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo"
    if head[4:8] == b"ftyp":  # ISO media: MP4, MOV, M4V, 3GP (HEIC too, which PyAV rejects)
        return "video"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska and WebM
        return "video"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # old QuickTime files
        return "video"
    return None


def classify(path: Path) -> MediaFile | Skip | None:
    """A media file, a Skip with its reason, or None for a file that is not media at all."""
    suffix = path.suffix.lower()
    try:
        stat = path.stat()
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        if suffix in PHOTO_EXTENSIONS | VIDEO_EXTENSIONS:
            return Skip(path, _unreadable(path, error))
        return None
    kind = sniff(head)
    if kind is None and suffix in VIDEO_EXTENSIONS - {".mp4", ".mov", ".avi", ".webm"}:
        kind = "video"  # MPEG-TS, WMV, FLV, ...: let PyAV decide
    if kind is not None:
        if stat.st_size == 0:
            return Skip(path, "empty file (0 bytes)")
        return MediaFile(path, kind, stat.st_size, stat.st_mtime_ns)
    if suffix not in PHOTO_EXTENSIONS | VIDEO_EXTENSIONS:
        return None
    if stat.st_size == 0:
        return Skip(path, "empty file (0 bytes)")
    expected = "an image" if suffix in PHOTO_EXTENSIONS else "a video"
    return Skip(path, f"not {expected}: its content is not a known {suffix} format")


def discover(sources: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> Iterator[
        MediaFile | Skip]:
    """Every media file under the sources (files or folders), and a Skip for each problem."""
    excluded = {_resolved(p) for p in exclude}
    seen: set[Path] = set()
    for source in sources:
        source = Path(source)
        if not source.exists() and not source.is_symlink():
            yield Skip(source, "no such file or folder")
        elif source.is_dir():
            yield from _walk(source, excluded, seen)
        else:
            yield from _file(source, seen, explicit=True)


def _walk(root: Path, excluded: set[Path], seen: set[Path]) -> Iterator[MediaFile | Skip]:
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        while errors:
            error = errors.pop()
            yield Skip(Path(error.filename or folder), f"cannot read folder: {error.strerror}")
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and _resolved(here / d) not in excluded)
        for name in sorted(files):
            if not name.startswith("."):
                yield from _file(here / name, seen, explicit=False)
    for error in errors:
        yield Skip(Path(error.filename or root), f"cannot read folder: {error.strerror}")


def _file(path: Path, seen: set[Path], explicit: bool) -> Iterator[MediaFile | Skip]:
    key = _resolved(path)
    if key in seen:
        return
    seen.add(key)
    found = classify(path)
    if found is None and explicit:
        found = Skip(path, "not a photo or video this tool reads")
    if isinstance(found, MediaFile) and not _utf8(path):
        # The bank stores paths as UTF-8 text; a name in another encoding cannot be stored.
        found = Skip(path, "its path is not valid UTF-8 (rename it, e.g. with convmv)")
    if found is not None:
        yield found


def _unreadable(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symbolic link loop: the link leads back to itself"
    if error.errno == errno.ENOENT and path.is_symlink():
        return "broken link: the file it points to does not exist"
    return f"cannot read file: {error.strerror or error}"


def _utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as lone surrogates
        return False
    return True


def _resolved(path: str | Path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return Path(os.path.abspath(path))
