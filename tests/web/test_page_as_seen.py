"""The page as a person sees it, view by view, at desktop and phone sizes: what a fresh look
found wrong (docs/web-app.md, "Fresh eyes on every view"), each with the check that shows it."""

from __future__ import annotations

import pytest

from .conftest import POSE_PHOTO, require
from .pages import screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = (390, 844)
# Each visible control of the header, with its box: what a person can see and reach.
HEADER_CONTROLS = """() => [...document.querySelectorAll('header button, header select')]
  .filter((e) => !e.hidden && getComputedStyle(e).display !== 'none')
  .map((e) => { const r = e.getBoundingClientRect();
                return {name: e.id || e.textContent.trim(), left: r.left, right: r.right}; })"""


def test_every_header_control_is_in_view_on_a_phone_in_photo_mode(open_page):
    """Photo mode adds "Back to camera": on a phone it ran off the screen's edge (and "Make a
    GIF" after it), in a row that scrolled sideways with nothing to say so."""
    page, _ = open_page(viewport=PHONE)
    wait_for_matches(page)
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "window.movemirror.matches.length > 0")
    controls = page.evaluate(HEADER_CONTROLS)
    assert "camera-button" in [c["name"] for c in controls]
    outside = [c for c in controls if c["left"] < 0 or c["right"] > PHONE[0]]
    assert not outside, outside
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(page, "phone-photo-header")
