"""The second-half rate of `bench ingest`: start-up and late first results leave it alone."""

from __future__ import annotations

from movemirror.bench.ingest import Arrivals


def arrivals(times: list[float], frames: list[int]) -> Arrivals:
    out = Arrivals()
    out.times, out.frames = list(times), list(frames)
    return out


def test_second_half_counts_the_frames_after_the_middle_result_over_their_time():
    # 20 s of start-up, then one frame every 0.5 s: 2 frames/s whatever the start-up.
    times = [20.0 + 0.5 * k for k in range(10)]
    assert arrivals(times, [1] * 10).second_half_fps() == 2.0
    # A block of 8 results handed over at once at the start changes nothing.
    bunched = [24.0] * 8 + [24.5 + 0.5 * k for k in range(8)]
    assert arrivals(bunched, [1] * 16).second_half_fps() == 2.0


def test_video_units_count_their_frames():
    assert arrivals([0.0, 1.0, 2.0, 4.0], [5, 5, 30, 10]).second_half_fps() == 40 / 3


def test_too_few_results_give_no_rate():
    assert arrivals([], []).second_half_fps() == 0.0
    assert arrivals([3.0], [1]).second_half_fps() == 0.0
    assert arrivals([3.0, 3.0], [1, 1]).second_half_fps() == 0.0
