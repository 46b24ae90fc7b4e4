"""The page's smoothing, hysteresis and crop modules, run in Chromium as the page runs them."""

from __future__ import annotations

import json

import pytest

from .pages import run_module

pytestmark = [pytest.mark.browser]


def test_one_euro_filter_steadies_a_still_point_and_follows_a_move(module_page):
    result = run_module(module_page, "one_euro.js", """
        const f = new m.OneEuroFilter(m.DEFAULT_OPTIONS);
        let seed = 7;
        const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
        const raw = [], out = [];
        for (let i = 0; i < 120; i++) { const v = 0.5 + 0.01 * noise(); raw.push(v);
          out.push(f.filter(v, i / 30)); }
        const spread = (a) => Math.max(...a.slice(30)) - Math.min(...a.slice(30));
        const after = [];  // a move of 0.3 in 6 frames (0.2 s), then still
        for (let i = 120; i < 140; i++) {
          after.push(f.filter(0.5 + 0.3 * Math.min(1, (i - 119) / 6), i / 30)); }
        return { rawSpread: spread(raw), outSpread: spread(out), after };""")
    assert result["outSpread"] < 0.6 * result["rawSpread"]
    # followed within two frames of the move's end
    assert abs(result["after"][7] - 0.8) < 0.01


def test_keypoints_filter_keeps_scores_and_scale(module_page):
    result = run_module(module_page, "one_euro.js", """
        const f = new m.KeypointsFilter();
        const pose = Array.from({ length: 17 }, (_, i) => [100 + i, 200 + i, i / 17]);
        f.apply(pose, 640, 480, 0);
        return f.apply(pose, 640, 480, 1 / 30);""")
    for i, (x, y, score) in enumerate(result):
        assert x == pytest.approx(100 + i) and y == pytest.approx(200 + i)
        assert score == pytest.approx(i / 17)


def test_hold_keeps_a_match_on_screen_then_gives_way_to_a_clearly_better_one(module_page):
    result = run_module(module_page, "hold.js", """
        const h = new m.MatchHold({ minHoldMs: 250, margin: 0.01, emptyAfterMs: 600 });
        const a = (d) => ({ id: 'a', distance: d }), b = (d) => ({ id: 'b', distance: d });
        return [
          h.update([a(0.10), b(0.20)], 0).id,
          h.update([b(0.05), a(0.10)], 100).id,   // better, but a has not been seen long
          h.update([b(0.095), a(0.10)], 400).id,  // held long enough, but not clearly better
          h.update([b(0.05), a(0.10)], 450).id,   // clearly better: switch
          h.update([], 500).id,                   // nobody for a moment: keep
          h.update([], 1200),                     // nobody for long: show nothing
        ];""")
    assert result == ["a", "a", "a", "b", "b", None]


def test_crop_follows_the_person_and_falls_back_to_the_whole_frame(module_page):
    result = run_module(module_page, "crop.js", """
        const none = Array.from({ length: 17 }, () => [0, 0, 0]);
        const person = Array.from({ length: 17 }, (_, i) => [300 + (i % 3) * 10, 200 + i * 8, 0.9]);
        return { full: m.fullFrameCrop(640, 480), lost: m.cropAround(none, 640, 480),
                 around: m.cropAround(person, 640, 480) };""")
    full = result["full"]
    assert full["xMin"] == 0 and full["xMax"] == 1
    assert full["yMin"] < 0 and full["yMax"] > 1  # padded to a square
    assert result["lost"] == full
    around = result["around"]
    assert around["xMax"] - around["xMin"] < 1
    assert around["xMin"] * 640 < 300 < around["xMax"] * 640
    assert around["yMin"] * 480 < 200 + 16 * 8 < around["yMax"] * 480


def test_gif_frames_last_as_long_as_they_stood_when_capture_runs_late(module_page):
    # The page's thread is held for 350 ms during recording (a busy device): the GIF must play
    # that stretch as long as it took, not at the nominal 100 ms a frame.
    delays = run_module(module_page, "gif.js", """
        const recorder = new m.GifRecorder({ seconds: 1, fps: 10 });
        const person = document.createElement('canvas');
        person.width = 64; person.height = 48;
        const delays = [];
        const encoding = { add: (image, delay) => delays.push(delay) };
        const hold = () => {
          const until = performance.now() + 350;
          while (performance.now() < until);
        };
        setTimeout(hold, 250);
        const start = performance.now();
        const count = await recorder.capture(person, () => null, () => null, () => {}, encoding);
        return { delays, count, elapsed: performance.now() - start };
    """)
    frames = delays["delays"]
    assert len(frames) == delays["count"] == 10
    assert all(d % 10 == 0 and d >= 10 for d in frames)
    assert max(frames) >= 300  # the frame before the stall stood that long
    # All but the last frame together last as long as the recording took, to a step each.
    assert abs(sum(frames[:-1]) - delays["elapsed"]) <= 10 * len(frames) + 100


def test_the_gifs_last_frame_names_the_licence_even_without_a_credit(module_page):
    # A sidecar may give a licence alone (e.g. CC0, nobody to credit): it went unwritten.
    lines = run_module(module_page, "gif_button.js", """
        return [m.creditLine({ credit: 'Ann Lee', licence: 'CC BY 2.0' }),
                m.creditLine({ credit: null, licence: 'CC0 1.0' }),
                m.creditLine({ credit: 'Ann Lee', licence: null }),
                m.creditLine({ credit: null, licence: null }), m.creditLine(null)];
    """)
    assert lines == ["Match: Ann Lee CC BY 2.0", "Match: CC0 1.0", "Match: Ann Lee", None, None]


def test_the_gif_shows_the_match_flipped_as_the_mirror_view_does(module_page, bank):
    # The mirror view flips a match found mirrored by flipping its frame (#match-frame), not
    # the <img> in it, which the GIF looked at: the GIF held it unflipped.
    from urllib.parse import quote

    thumbnail = "/bank/" + quote(bank.record(0)["thumbnail"])
    panels = run_module(module_page, "gif.js", """
        const frame = document.createElement('div');
        const img = document.createElement('img');
        frame.append(img);
        document.body.append(frame);
        img.src = THUMBNAIL;
        await img.decode();
        const person = document.createElement('canvas');
        person.width = 64; person.height = 48;
        const capture = async () => {
          const frames = [];
          const encoding = { add: (image) => frames.push(image) };
          await new m.GifRecorder({ seconds: 0.1, fps: 10 }).capture(
            person, () => img, () => null, () => {}, encoding);
          const { data, width } = frames[0];  // the match's half: x 240 to 480
          const rows = [];
          for (let y = 0; y < 240; y += 8) {
            const row = [];
            for (let x = 240; x < 480; x += 1) row.push(data[(y * width + x) * 4]);
            rows.push(row);
          }
          return rows;
        };
        const plain = await capture();
        frame.classList.add('flipped');  // as flipbook.js shows a match found mirrored
        const flipped = await capture();
        return { plain, flipped };
    """.replace("THUMBNAIL", json.dumps(thumbnail)))
    import numpy as np

    plain, flipped = np.array(panels["plain"], float), np.array(panels["flipped"], float)
    assert np.abs(plain - plain[:, ::-1]).mean() > 10  # an image that is not symmetric
    # The flipped one is the plain one mirrored, not the same.
    assert np.abs(flipped - plain[:, ::-1]).mean() < 0.2 * np.abs(flipped - plain).mean()


def test_the_gif_records_a_match_drawn_as_its_skeleton(module_page, bank):
    # A match without a picture is shown as its skeleton on a canvas: the GIF's half for it
    # was left blank (it drew only an <img>).
    lit = run_module(module_page, "gif.js", """
        const { drawPoseAlone } = await import('/static/js/pose_alone.js');
        const skeleton = document.createElement('canvas');
        skeleton.width = 300; skeleton.height = 300;
        drawPoseAlone(skeleton, KEYPOINTS);
        const person = document.createElement('canvas');
        person.width = 64; person.height = 48;
        const frames = [];
        await new m.GifRecorder({ seconds: 0.1, fps: 10 }).capture(
          person, () => skeleton, () => null, () => {}, { add: (image) => frames.push(image) });
        const { data, width, height } = frames[0];
        let match = 0;  // skeleton-bright pixels in the match's half (x 240 to 480)
        for (let y = 0; y < height; y += 1) {
          for (let x = 240; x < width; x += 1) if (data[(y * width + x) * 4] > 120) match += 1;
        }
        return match / (240 * height);
    """.replace("KEYPOINTS", json.dumps(bank.keypoints[0].tolist())))
    assert 0.005 < lit < 0.4, lit
