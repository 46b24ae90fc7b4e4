"""The page with a keyboard and a screen reader: names, contrast, tap targets, and axe-core."""

from __future__ import annotations

import pytest

from .conftest import POSE_PHOTO, require
from .pages import axe_violations, screenshot, wait_for, wait_for_matches

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# WCAG 2 contrast of an element's text on its background (both opaque colours).
CONTRAST = """(element) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(element);
  const [a, b] = [luminance(style.color), luminance(style.backgroundColor)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_use_a_photo_is_a_button_the_keyboard_reaches(open_page, bank):
    page, traffic = open_page()
    wait_for_matches(page)  # the camera runs: the page has settled
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => [document.activeElement.tagName, "
                                     "document.activeElement.id]"))
        if reached[-1][1] == "photo-button":
            break
    assert ["BUTTON", "photo-button"] in reached, reached
    with page.expect_file_chooser() as chooser:
        page.locator("#photo-button").press("Enter")
    chooser.value.set_files(str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "!document.querySelector('#match-image').hidden")
    alt = page.get_attribute("#match-image", "alt")
    shown = page.get_attribute("#match-image", "data-match-id")
    assert shown not in alt and "the person in" in alt, alt
    record = bank.record(bank.ids.index(shown))
    assert record["source"].split("/")[-1] in alt
    traffic.assert_only_keypoints_left()


def test_names_contrast_and_phone_tap_targets(open_page):
    page, _ = open_page(viewport=(390, 844))
    wait_for_matches(page)
    label = page.get_attribute("#view", "aria-label")
    assert page.get_attribute("#view", "role") == "img" and "you" in label.lower()
    assert page.get_attribute("button[data-view=mirror]", "aria-pressed") == "true"
    pressed = page.eval_on_selector("button[data-view=mirror]", CONTRAST)
    assert pressed >= 4.5, pressed
    page.click("button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length > 0")
    small = page.evaluate("""() => [...document.querySelectorAll(
        'button, select, a.button, label:has(input[type=checkbox])')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => { const b = e.getBoundingClientRect();
          return { what: e.id || e.textContent.trim().slice(0, 20), w: b.width, h: b.height }; })
        .filter((b) => b.w < 44 || b.h < 44)""")
    assert small == [], small
    screenshot(page, "phone-explore-targets")


def test_axe_core_finds_nothing_serious_on_each_view(open_page):
    # /docs is Swagger UI's own markup, not checked here: axe finds low-contrast method badges
    # and buttons nested in buttons there (upstream's, as of swagger-ui-dist 5.35).
    found = {}
    page, _ = open_page()
    wait_for_matches(page)
    wait_for(page, "() => !document.querySelector('#match-image').hidden")
    found["mirror"] = axe_violations(page)
    page.click("button[data-view=explore]")
    wait_for(page, "() => document.querySelectorAll('#grid li').length === 10")
    page.click("#freeze")
    found["explore"] = axe_violations(page)
    page.click("#grid li:nth-child(1) .card")
    wait_for(page, "() => document.querySelector('#detail').open")
    found["detail dialog"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.set_input_files("#photo-input", str(require(POSE_PHOTO)))
    wait_for(page, "() => window.movemirror.source === 'photo' && "
                   "window.movemirror.matches.length > 0")
    found["photo"] = axe_violations(page)
    phone, _ = open_page(viewport=(390, 844))
    wait_for_matches(phone)
    found["phone mirror"] = axe_violations(phone)
    print({view: [v["id"] for v in violations] for view, violations in found.items()})
    assert all(not violations for violations in found.values()), found
