from movemirror.wording import counted


def test_counts_take_the_plural_except_one():
    assert [counted(n, "video") for n in (0, 1, 2, 1250)] == [
        "0 videos", "1 video", "2 videos", "1,250 videos"]
    assert [counted(n, "worker process", "worker processes") for n in (1, 2)] == [
        "1 worker process", "2 worker processes"]
