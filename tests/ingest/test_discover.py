import os
import shutil
import subprocess
import sys

import pytest

from movemirror.files import file_sha256
from movemirror.ingest.discover import MediaFile, Skip, discover, sniff


def test_real_media_is_recognised_by_content(lspet_images, pose_video, street_video, tmp_path):
    renamed = tmp_path / "holiday.dat.jpeg"  # a video with a photo's name is still a video
    renamed.write_bytes(pose_video.read_bytes())
    found = list(discover([lspet_images[0], pose_video, street_video, renamed]))
    assert [f.kind for f in found] == ["photo", "video", "video", "video"]
    assert all(isinstance(f, MediaFile) for f in found)


def test_folders_are_walked_recursively_without_the_bank(tmp_path, lspet_images):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "bank" / "thumbs").mkdir(parents=True)
    for target in ("a/1.jpg", "a/b/2.jpg", "bank/thumbs/3.jpg", ".hidden.jpg"):
        (tmp_path / target).write_bytes(lspet_images[0].read_bytes())
    (tmp_path / "a" / "notes.txt").write_text("not media, not reported")
    found = list(discover([tmp_path], exclude=[tmp_path / "bank"]))
    assert [f.path.relative_to(tmp_path).as_posix() for f in found] == ["a/1.jpg", "a/b/2.jpg"]


def test_a_file_name_that_is_not_utf8_is_skipped_with_the_reason(tmp_path, lspet_images):
    legacy = os.fsencode(tmp_path) + b"/caf\xe9 (latin-1).jpg"
    try:
        with open(legacy, "wb") as handle:
            handle.write(lspet_images[0].read_bytes())
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "fine.jpg").write_bytes(lspet_images[0].read_bytes())
    found = list(discover([tmp_path]))
    assert [type(f).__name__ for f in found] == ["Skip", "MediaFile"]
    assert os.fsencode(found[0].path) == legacy and "not valid UTF-8" in found[0].reason


def test_each_bad_file_is_reported_with_its_reason(bad_files, tmp_path):
    found = {f.path.name: f for f in discover([tmp_path / "bad", tmp_path / "missing"])}
    assert isinstance(found["missing"], Skip) and "no such" in found["missing"].reason
    for name, reason in bad_files.items():
        if reason in ("empty file", "not an image", "not a video"):
            assert isinstance(found[name], Skip), name
            assert found[name].reason.startswith(reason), (name, found[name].reason)
        else:  # these look like media; decoding finds them out later
            assert isinstance(found[name], MediaFile), name


def test_unreadable_folder_is_reported_not_raised(tmp_path, lspet_images):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.jpg").write_bytes(lspet_images[0].read_bytes())
    (tmp_path / "ok.jpg").write_bytes(lspet_images[0].read_bytes())
    code = ("import sys; from movemirror.ingest.discover import discover\n"
            "for f in discover([sys.argv[1]]): print(type(f).__name__, f.path.name, "
            "getattr(f, 'reason', ''))")
    command = [sys.executable, "-c", code, str(tmp_path)]
    if os.geteuid() == 0:  # root reads any folder: walk without the capabilities that allow it
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a folder unreadable")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    locked.chmod(0)
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        locked.chmod(0o755)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "MediaFile ok.jpg " in lines
    assert any(line.startswith("Skip locked cannot read folder") for line in lines), lines


def test_sniff_and_hash(lspet_images, pose_video):
    assert sniff(lspet_images[0].read_bytes()[:16]) == "photo"
    assert sniff(pose_video.read_bytes()[:16]) == "video"
    assert sniff(b"hello world, not media") is None
    assert file_sha256(lspet_images[0]) != file_sha256(lspet_images[1])
    assert len(file_sha256(lspet_images[0])) == 64


def test_symlink_loops_and_dangling_links_are_named_not_raised(tmp_path, lspet_images):
    (tmp_path / "ok.jpg").write_bytes(lspet_images[0].read_bytes())
    os.symlink("loop_b.jpg", tmp_path / "loop_a.jpg")
    os.symlink("loop_a.jpg", tmp_path / "loop_b.jpg")
    os.symlink(tmp_path / "gone" / "x.jpg", tmp_path / "dangling.jpg")
    found = {f.path.name: f for f in discover([tmp_path])}
    assert isinstance(found["ok.jpg"], MediaFile)
    for name in ("loop_a.jpg", "loop_b.jpg"):
        assert isinstance(found[name], Skip), name
        assert "symbolic link" in found[name].reason, found[name].reason
    assert isinstance(found["dangling.jpg"], Skip)
    assert "broken link" in found["dangling.jpg"].reason, found["dangling.jpg"].reason
    # Named as a SOURCE, a loop is also a Skip, not a crash.
    assert [type(f).__name__ for f in discover([tmp_path / "loop_a.jpg"])] == ["Skip"]
