"""The page's Movement mode logic (static/js/movement.js), run in Chromium as the page runs it:
which track to play (hysteresis), where in it, and how playback follows the server."""

from __future__ import annotations

import pytest

from .pages import run_module

pytestmark = [pytest.mark.browser]


def test_choice_stays_with_a_track_that_keeps_matching_and_yields_to_a_clearly_better_one(
        module_page):
    result = run_module(module_page, "movement.js", """
        const c = new m.MovementChoice({ switchRatio: 0.85, missesToDrop: 3, minPlayMs: 500 });
        const w = (track, distance) => ({ track, distance, end: 1, speed: 1 });
        const pick = (windows, t) => { const r = c.update(windows, t);
          return [r.window ? r.window.track : null, r.switched]; };
        return [
          pick([], 0),                                   // nothing yet
          pick([w('a', 0.30), w('b', 0.40)], 100),      // the first best plays
          pick([w('b', 0.20), w('a', 0.30)], 300),      // clearly better, but a just started
          pick([w('b', 0.27), w('a', 0.30)], 700),      // better, not clearly: a stays
          pick([w('b', 0.20), w('a', 0.30)], 800),      // clearly better, a held: b
          pick([w('c', 0.10)], 1400),                   // b missing once: stays
          pick([w('c', 0.10)], 1500),
          pick([w('c', 0.10)], 1600),                   // missing three times: gives way
          pick([], 1700), pick([], 1800), pick([], 1900),  // nothing matches any more
        ];""")
    assert result == [[None, False], ["a", True], ["a", False], ["a", False], ["b", True],
                      ["b", False], ["b", False], ["c", True], ["c", False], ["c", False],
                      [None, False]]


def test_playback_follows_the_window_smoothly_and_jumps_only_when_far_off(module_page):
    result = run_module(module_page, "movement.js", """
        const frames = [0, 0.1, 0.2, 0.3, 0.5].map((time) => ({ time }));
        const at = [-1, 0, 0.15, 0.3, 0.49, 9].map((t) => m.frameAt(frames, t));
        const anchor = { end: 2.0, speed: 0.5, atMs: 2000 };
        const played = m.playTime(anchor, 3000);           // 1 s later at half pace: 2.5
        // the server's window says 2.6 at 3000 ms at pace 0.5: 0.1 s behind, catch up
        const near = m.followed(anchor, { end: 2.6, speed: 0.5 }, 3000, 3000);
        const caughtUp = m.playTime(near, 3000 + 1000 * m.CATCH_UP_SECONDS);
        const target = 2.6 + 0.5 * m.CATCH_UP_SECONDS;
        // it says 0.2 at 2900 ms (the pose was seen 100 ms ago): far off, jump
        const far = m.followed(anchor, { end: 0.2, speed: 1.0 }, 2900, 3000);
        return { at, played, nearEnd: near.end, nearSpeed: near.speed, caughtUp, target,
                 far, jumpNow: m.playTime(far, 3000) };""")
    assert result["at"] == [0, 0, 1, 3, 3, 4]
    assert result["played"] == pytest.approx(2.5)
    assert result["nearEnd"] == pytest.approx(2.5)  # no jump: on from where it was
    assert result["nearSpeed"] > 0.5  # faster, to catch up
    assert result["caughtUp"] == pytest.approx(result["target"])
    assert result["far"] == {"end": 0.2, "speed": 1.0, "atMs": 2900}
    assert result["jumpNow"] == pytest.approx(0.3)


def test_a_skeleton_is_fitted_into_the_canvas(module_page):
    result = run_module(module_page, "draw.js", """
        const pose = Array.from({ length: 17 }, (_, i) => [1000 + 10 * i, 50 + 20 * i, 0.9]);
        pose[3][2] = 0;  pose[3][0] = -5000;  // an unsure keypoint far away does not count
        return m.fitted(pose, 400, 300);""")
    sure = [p for i, p in enumerate(result) if i != 3]
    xs, ys = [p[0] for p in sure], [p[1] for p in sure]
    assert min(xs) >= 0 and max(xs) <= 400 and min(ys) >= 0 and max(ys) <= 300
    assert max(ys) - min(ys) == pytest.approx(0.8 * 300)  # the taller side fills 80%
    assert (min(xs) + max(xs)) / 2 == pytest.approx(200)


def test_the_strips_skeletons_are_drawn_thick_enough_to_see(module_page, bank):
    # a clip without pictures, as the Explore view's strips loop it: the bank's poses as frames
    frames = [{"id": str(i), "time": i / 30, "thumbnail": None,
               "keypoints": bank.keypoints[i].tolist()} for i in range(10)]
    module_page.evaluate("(frames) => { window.stripFrames = frames; }", frames)
    lit = run_module(module_page, "movement.js", """
        const list = document.createElement('ol');
        document.body.append(list);
        const strips = new m.MovementStrips({ list,
          frames: { get: async () => window.stripFrames } });
        await strips.render([{ track: 't', file: 't.mp4', start: 0, end: 0.3, speed: 1,
                               distance: 0.5, mirrored: false }], 1e9);
        strips.draw(0, () => null);
        const canvas = list.querySelector('canvas');
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > 120) lit += 1;
        list.remove();
        return lit / (canvas.width * canvas.height);""")
    # lines of 0.75 px on the 120 px strip lit 1.3% of it, hard to see on a phone; at 2 px, 4.3%
    assert lit >= 0.035, lit
