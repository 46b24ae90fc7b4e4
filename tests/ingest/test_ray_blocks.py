"""How the Ray engine groups units into blocks (one task on an actor each); needs no Ray."""

from __future__ import annotations

from movemirror.ingest.engines.ray import BLOCKS_PER_ACTOR, PHOTOS_PER_BLOCK, unit_blocks
from movemirror.ingest.work import Unit


def photos(count: int) -> list[Unit]:
    return [Unit(f"/archive/{i:05d}.jpg", f"{i:064x}", "photo") for i in range(count)]


def segments(count: int) -> list[Unit]:
    return [Unit("/archive/film.mp4", "f" * 64, "video", 20.0 * k,
                 None if k == count - 1 else 20.0 * (k + 1), count) for k in range(count)]


def test_every_unit_is_in_exactly_one_block_and_photos_keep_their_order():
    units = photos(150)[:75] + segments(3) + photos(150)[75:]
    flat = [unit for block in unit_blocks(units, actors=2) for unit in block]
    assert sorted(flat, key=repr) == sorted(units, key=repr)
    assert [u for u in flat if u.kind == "photo"] == photos(150)


def test_video_segments_go_alone_and_first():
    units = photos(40) + segments(3)
    blocks = unit_blocks(units, actors=2)
    assert blocks[:3] == [[unit] for unit in segments(3)]
    assert all(unit.kind == "photo" for block in blocks[3:] for unit in block)


def test_many_photos_travel_a_full_block_at_a_time():
    blocks = unit_blocks(photos(300), actors=2)
    assert [len(block) for block in blocks] == [PHOTOS_PER_BLOCK] * 37 + [4]


def test_few_photos_are_spread_so_that_every_actor_gets_several_blocks():
    for count, actors in ((40, 2), (64, 4), (10, 2), (1, 3)):
        blocks = unit_blocks(photos(count), actors)
        assert len(blocks) >= min(count, actors * BLOCKS_PER_ACTOR)
        assert max(len(block) for block in blocks) < PHOTOS_PER_BLOCK


def test_no_units_no_blocks():
    assert unit_blocks([], actors=2) == []
