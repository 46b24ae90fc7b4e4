"""Explore and its detail dialog in Chromium, with the fake webcam playing a real clip."""

from __future__ import annotations

import re

import pytest

from movemirror.server import create_app

from .conftest import LiveServer, build_coco_bank, keypoints_only
from .pages import assert_skeleton_drawn, run_module, screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPLORE_K = 10  # the page's default number of matches in Explore

# Counts the moves the grid animates (Web Animations on its items).
COUNT_MOVES = """
const animate = Element.prototype.animate;
window.gridMoves = 0;
Element.prototype.animate = function (...args) {
  if (this.matches && this.matches('#grid > li')) window.gridMoves += 1;
  return animate.apply(this, args);
};
"""

# Watches the grid for `ms`: cards rebuilt (same pose, new element), order changes, and polls
# where keyboard focus was outside the grid.
WATCH_GRID = """async (ms) => {
  const cards = () => new Map([...document.querySelectorAll('#grid > li')]
    .map((li) => [li.firstChild.dataset.matchId, li]));
  let before = cards();
  let order = [...before.keys()].join();
  const seen = { rebuilt: 0, reorders: 0, focusLost: 0, polls: 0 };
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 80));
    const now = cards();
    for (const [id, li] of now) if (before.has(id) && before.get(id) !== li) seen.rebuilt += 1;
    const nowOrder = [...now.keys()].join();
    if (nowOrder !== order) seen.reorders += 1;
    if (!document.activeElement || !document.activeElement.closest('#grid .card')) {
      seen.focusLost += 1;
    }
    before = now;
    order = nowOrder;
    seen.polls += 1;
  }
  return { ...seen, moves: window.gridMoves };
}"""


def open_explore(open_page, viewport=(1280, 800), init_script=COUNT_MOVES, server=None,
                 cards=EXPLORE_K):
    """The page in Explore once its grid holds `cards` matches (fewer than k when the bank has
    fewer source photos: the page shows one match per photo)."""
    options = {"server": server} if server else {}
    page, traffic = open_page(viewport=viewport, init_script=init_script, **options)
    wait_for_matches(page)
    page.click("button[data-view=explore]")
    wait_for(page, f"() => document.querySelectorAll('#grid li').length === {cards}")
    return page, traffic


def test_explore_updates_in_place_keeps_focus_and_says_freeze_exists(open_page):
    page, traffic = open_explore(open_page)
    page.focus("#grid li:nth-child(2) .card")
    seen = page.evaluate(WATCH_GRID, 6000)
    print("explore grid over 6 s:", seen)
    assert seen["reorders"] >= 2  # the matches did change while we watched
    assert seen["rebuilt"] == 0  # a card that stays is the same element
    assert seen["focusLost"] == 0
    assert seen["moves"] >= 1  # moves are animated
    hint = page.text_content("#freeze-hint")
    assert "Freeze" in hint and page.is_visible("#freeze-hint")
    assert page.get_attribute("#freeze", "aria-describedby") == "freeze-hint"
    traffic.assert_only_keypoints_left()


def test_explore_shows_a_placeholder_while_an_image_loads(open_page):
    page, _ = open_page()
    held, released = [], []
    # The thumbnails wait until released below.
    page.route("**/bank/**", lambda route: route.continue_() if released else held.append(route))
    wait_for_matches(page)
    page.click("button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length === 10")
    page.click("#freeze")
    waiting = page.evaluate("""() => [...document.querySelectorAll('#grid .thumb')].map((t) => ({
        loading: t.dataset.loading, background: getComputedStyle(t).backgroundImage }))""")
    assert all(w["loading"] == "true" for w in waiting), waiting
    assert all("gradient" in w["background"] for w in waiting)  # not a black square
    screenshot(page, "explore-loading")
    released.append(True)
    for route in held:
        route.continue_()
    wait_for(page, "() => [...document.querySelectorAll('#grid .thumb')].every("
                   "(t) => t.dataset.loading === 'false')", timeout=20_000)
    assert page.evaluate("() => [...document.querySelectorAll('#grid img')].every("
                         "(i) => i.naturalWidth > 0 && getComputedStyle(i).opacity === '1')")


def test_closing_the_dialog_returns_focus_to_the_grid(open_page):
    page, _ = open_explore(open_page)
    page.focus("#grid li:nth-child(3) .card")
    opener = page.get_attribute("#grid li:nth-child(3) .card", "data-match-id")
    page.keyboard.press("Enter")
    wait_for(page, "() => document.querySelector('#detail').open")
    assert page.evaluate("() => document.querySelector('#detail').contains("
                         "document.activeElement)")
    page.wait_for_timeout(2000)  # the live grid moves on behind the dialog
    page.keyboard.press("Escape")
    wait_for(page, "() => !document.querySelector('#detail').open")
    # On the next frame, or, when a frame without a person had emptied the grid, once cards
    # are back (the grid renders every 500 ms while live).
    wait_for(page, "() => Boolean(document.activeElement.closest('#grid .card'))", timeout=5000)
    # Focus and the grid read at one moment: the live grid may move on right after.
    focused = page.evaluate("""() => { const e = document.activeElement;
        return { card: Boolean(e && e.closest('#grid .card')), id: e && e.dataset.matchId,
                 ids: [...document.querySelectorAll('#grid .card')].map((c) => c.dataset.matchId)
        }; }""")
    assert focused["card"], focused
    if opener in focused["ids"]:
        assert focused["id"] == opener


def open_detail(page, nth=1):
    page.click("#freeze")
    page.click(f"#grid li:nth-child({nth}) .card")
    wait_for(page, "() => document.querySelector('#detail').open && "
                   "document.querySelector('#detail img').naturalWidth > 0 && "
                   "document.querySelector('#detail img').width > 0")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_detail_dialog_shows_the_match_large_with_its_published_source(open_page, bank,
                                                                      viewport):
    page, traffic = open_explore(open_page, viewport=viewport)
    open_detail(page)
    match_id = page.get_attribute("#grid li:nth-child(1) .card", "data-match-id")
    record = bank.record(bank.ids.index(match_id))
    image = page.evaluate("""() => { const i = document.querySelector('#detail img');
        const box = i.getBoundingClientRect();
        return { width: box.width, height: box.height, naturalWidth: i.naturalWidth,
                 naturalHeight: i.naturalHeight, alt: i.alt,
                 frameWidth: i.parentElement.clientWidth, viewHeight: innerHeight }; }""")
    scale = image["width"] / image["naturalWidth"]
    assert scale <= 2.01  # never upscaled past 2x
    # Large: twice its size, unless the dialog's width or 72% of the screen's height stop it.
    room = min(2, image["frameWidth"] / image["naturalWidth"],
               0.72 * image["viewHeight"] / image["naturalHeight"])
    assert scale >= room - 0.02, image
    # and large on screen: most of the screen's width or height, unless the 2x cap stops it
    assert scale >= 1.98 or image["width"] >= 0.8 * viewport[0] \
        or image["height"] >= 0.6 * viewport[1], image
    assert match_id not in image["alt"] and "the person in" in image["alt"]
    text = page.text_content("#detail")
    assert "shared/data" not in text and "coco-mini/" not in text and "../" not in text
    file_name = record["source"].split("/")[-1]
    assert page.text_content("#detail .file") == file_name
    assert file_name in page.text_content("#detail .title")
    link = page.get_attribute("#detail .source a", "href")
    assert link == record["published_source"]
    assert page.text_content("#detail .credit") == record["credit"]
    assert page.text_content("#detail .licence") == record["licence"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]
    screenshot(page, f"explore-detail-{'phone' if viewport[0] < 700 else 'desktop'}")
    page.keyboard.press("Escape")
    traffic.assert_only_keypoints_left()


def test_detail_dialog_says_plainly_when_nothing_was_given(open_page):
    page, _ = open_explore(open_page)
    open_detail(page)
    thumbnail = page.get_attribute("#grid li:nth-child(1) img", "src")
    shown = page.evaluate("""async (thumbnail) => {
        const { MatchDialog } = await import('/static/js/dialog.js');
        const dialog = new MatchDialog(document.querySelector('#detail'));
        dialog.open({ id: 'abc:0:0', file: 'holiday.mp4', frame_time: 12.5, thumbnail,
                      distance: 0.1234, mirrored: true, credit: null, licence: null,
                      published_source: null }, 4);
        const text = (s) => document.querySelector(`#detail ${s}`).textContent;
        return { source: text('.source'), credit: text('.credit'), licence: text('.licence'),
                 title: text('.title'), distance: text('.distance'), rank: text('.rank') };
    }""", thumbnail)
    assert shown["source"] == shown["credit"] == shown["licence"] == "None given"
    assert shown["title"] == "holiday.mp4 at 12.5 s"
    assert shown["rank"] == "#5" and "mirrored" in shown["distance"]


def test_docs_screenshots_from_licence_clean_photos(open_page, tmp_path):
    """Explore and the dialog, desktop and phone, from COCO photos under CC BY or CC BY-SA
    only (the credit and licence in the pictures are theirs), for docs/."""
    clean = build_coco_bank(tmp_path / "clean", licence_ids={4, 5})
    licences = {clean.record(i)["licence"] for i in range(len(clean))}
    assert licences <= {"Attribution License", "Attribution-ShareAlike License"}
    # Several people share a photo here, and the page shows one match per photo.
    photos = len({clean.record(i)["source"] for i in range(len(clean))})
    with LiveServer(create_app(clean)) as server:
        for viewport, name in (((1280, 800), "desktop"), ((390, 844), "phone")):
            page, traffic = open_explore(open_page, viewport=viewport, server=server,
                                         cards=min(photos, EXPLORE_K))
            page.click("#freeze")
            wait_for(page, "() => [...document.querySelectorAll('#grid .thumb')].every("
                           "(t) => t.dataset.loading === 'false')", timeout=20_000)
            wait_for(page, "() => [...document.querySelectorAll('#grid > li')].every("
                           "(li) => li.getAnimations().length === 0)")
            shots = [screenshot(page, f"docs-explore-{name}")]
            page.click("#grid li:nth-child(1) .card")
            wait_for(page, "() => document.querySelector('#detail img').width > 0")
            page.wait_for_timeout(300)
            shots.append(screenshot(page, f"docs-dialog-{name}"))
            assert all(shot.stat().st_size > 10_000 for shot in shots)
            assert re.search(r"Attribution", page.text_content("#detail .licence"))
            traffic.assert_only_keypoints_left()


def test_a_match_without_a_picture_shows_its_skeleton_on_its_card_and_in_the_dialog(
        open_page, bank, tmp_path):
    bare = keypoints_only(bank)
    photos = len({bank.record(i)["source"] for i in range(len(bank))})
    with LiveServer(create_app(bare)) as server:
        page, _ = open_explore(open_page, server=server, cards=min(photos, EXPLORE_K))
        page.click("#freeze")
        card = page.locator("#grid li:nth-child(1) .thumb")
        shown = page.evaluate("""() => { const li = document.querySelector('#grid li');
            const canvas = li.querySelector('canvas');
            return { keypoints: li.match.keypoints, mirrored: li.match.mirrored,
                     img: li.querySelector('img').hidden, canvas: canvas && !canvas.hidden,
                     label: canvas && canvas.getAttribute('aria-label'),
                     loading: li.querySelector('.thumb').dataset.loading }; }""")
        assert shown["canvas"] and shown["img"] and shown["loading"] == "false", shown
        assert "skeleton" in shown["label"] and "Match 1" in shown["label"]
        assert_skeleton_drawn(card.screenshot(), shown["keypoints"], shown["mirrored"])
        screenshot(page, "explore-skeletons")
        page.click("#grid li:nth-child(1) .card")
        wait_for(page, "() => document.querySelector('#detail').open")
        large = page.locator("#detail .detail-image canvas")
        box = large.bounding_box()
        assert box["width"] >= 0.6 * 800 * 0.72  # large: as a picture would be
        assert page.evaluate("() => document.querySelector('#detail img').hidden")
        assert_skeleton_drawn(large.screenshot(), shown["keypoints"], shown["mirrored"])
        screenshot(page, "explore-skeleton-dialog")


def test_focus_returns_to_the_grid_when_cards_come_back_after_an_empty_moment(module_page):
    # The live grid empties on a camera frame without a person; if the dialog closes then, its
    # opener's card (or its place) takes focus as soon as cards are back.
    result = run_module(module_page, "explore.js", """
        const { MatchDialog } = await import('/static/js/dialog.js');
        document.body.insertAdjacentHTML('beforeend', `<ol id="grid"></ol>
          <dialog id="detail"><div class="detail-image"><img alt=""><canvas hidden></canvas>
          </div><h2 class="title"></h2>
          <dd class="rank"></dd><dd class="distance"></dd><dd class="file"></dd>
          <dd class="source"></dd><dd class="credit"></dd><dd class="licence"></dd>
          <button type="button" class="close">Close</button></dialog>`);
        const detail = document.querySelector('#detail');
        const grid = new m.ExploreGrid({ grid: document.querySelector('#grid'),
                                         dialog: new MatchDialog(detail) });
        const matches = (ids) => ids.map((id, rank) => ({ id, distance: 0.1 * (rank + 1) }));
        const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
        const focusedId = () => document.activeElement.dataset.matchId ?? null;
        grid.render(matches(['a', 'b', 'c']), { force: true });
        document.querySelector('[data-match-id="b"]').click();
        const opened = detail.open;
        grid.render([], { force: true });  // a frame without a person
        detail.close();
        await frame(); await frame();
        const whileEmpty = focusedId();
        grid.render(matches(['c', 'b', 'd']), { force: true });
        const opener = focusedId();
        document.querySelector('[data-match-id="b"]').click();
        grid.render([], { force: true });
        detail.close();
        await frame(); await frame();
        grid.render(matches(['x', 'y']), { force: true });  // the opener did not come back
        const heir = focusedId();
        return { opened, whileEmpty, opener, heir };
    """)
    assert result == {"opened": True, "whileEmpty": None, "opener": "b", "heir": "y"}


def test_an_estimate_landing_after_freeze_leaves_the_frozen_pose_and_matches(module_page):
    result = run_module(module_page, "camera_loop.js", """
        const shown = [];
        const pose = [{ x: 1, y: 2, score: 0.9 }];
        const matches = [{ id: 'a', distance: 0.1 }];
        const state = { frozen: true, pose, matches, frameRate: { tick() {} } };
        const app = { state, stream: { send: async () => null },
                      showMatches: (m) => { shown.push(m); state.matches = m; } };
        const loop = new m.CameraLoop(app);
        loop.onPose(null, 320, 240, performance.now(), loop.token);  // nobody made out
        return { shown: shown.length, pose: state.pose === pose, matches: state.matches };
    """)
    assert result == {"shown": 0, "pose": True, "matches": [{"id": "a", "distance": 0.1}]}


REFUSE_CAMERA = ("navigator.mediaDevices.getUserMedia = () => Promise.reject("
                 "new DOMException('denied', 'NotAllowedError'));")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_explore_without_a_camera_says_what_is_missing_and_what_to_do(open_page, viewport):
    page, _ = open_page(viewport=viewport, init_script=REFUSE_CAMERA)
    page.wait_for_selector(".message.error[data-topic=camera]", timeout=60_000)
    page.click("button[data-view=explore]")
    # where the cards would be, in words a person can act on (not an empty grid)
    note = page.locator("#explore-empty")
    note.wait_for(state="visible", timeout=5000)
    text = note.inner_text()
    assert "No camera" in text and "photo" in text, text
    assert page.locator("#grid li").count() == 0
    screenshot(page, f"explore-no-camera-{viewport[0]}", full_page=True)


def test_the_panel_says_the_camera_is_awaited_before_it_starts(module_page):
    texts = run_module(module_page, "panel_text.js", """
        const base = { source: 'camera', ready: true, connection: 'open' };
        return [m.panelText(base), m.panelText({ ...base, cameraLive: true })];""")
    assert "camera" in texts[0].lower() and "photo" in texts[0], texts
    assert texts[0] != texts[1]
    assert texts[1].startswith("Step into view")


# Every animation frame for `ms`: the largest overlap (px, each way) between any two cards of
# the grid as drawn (their boxes with the moves' transforms), and how many frames moved some.
WATCH_OVERLAP = """async (ms) => {
  const end = performance.now() + ms;
  let [worst, moving, frames] = [{ x: 0, y: 0 }, 0, 0];
  while (performance.now() < end) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const cards = [...document.querySelectorAll('#grid > li')];
    const boxes = cards.map((li) => li.getBoundingClientRect());
    if (document.getAnimations().some((a) => cards.includes(a.effect?.target))) moving += 1;
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const [a, b] = [boxes[i], boxes[j]];
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 0 && y > 0 && x * y > worst.x * worst.y) worst = { x, y };
      }
    }
    frames += 1;
  }
  return { worst, moving, frames };
}"""


def test_explore_cards_never_overlap_while_they_move_on_a_phone(open_page):
    page, _ = open_explore(open_page, viewport=(390, 844))
    seen = page.evaluate(WATCH_OVERLAP, 5000)
    print("explore cards on a phone over 5 s:", seen)
    assert seen["moving"] > 0  # the cards did move while we watched
    assert seen["worst"]["x"] <= 1 or seen["worst"]["y"] <= 1, seen
