"""Helpers for the browser tests: waiting on the page's state, screenshots, the axe-core check."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .conftest import ARTIFACTS, REPO

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
# What an axe-core violation must not be: the page is usable with a keyboard and a screen reader.
BLOCKING_IMPACTS = ("serious", "critical")


def wait_for(page, expression, timeout=60_000):
    page.wait_for_function(expression, timeout=timeout)


def wait_for_matches(page, at_least=3):
    wait_for(page, f"() => window.movemirror && window.movemirror.replies >= {at_least}")


def run_module(page, module, body):
    """Runs `body` in the page with the page's module static/js/MODULE imported as `m`."""
    return page.evaluate(f"async () => {{ const m = await import('/static/js/{module}'); {body} }}")


def boxes(page, *selectors) -> list[dict]:
    """The boxes (x, y, width, height) of the first element of each selector, read in one
    layout: read one at a time, a reflow in between (the footer's live figures wrapping onto
    one line more or less) could resize one panel and not the other."""
    return page.evaluate("""(selectors) => selectors.map((s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; })""", list(selectors))


def screenshot(page, name, full_page=False):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# No Explore card is settling into its place (a thumbnail's loading pulse, which runs for
# ever, is no settling; the mirror's crossfades run at camera rate and hide no text).
SETTLED = """() => !document.querySelector('#grid') || document.querySelector('#grid')
    .getAnimations({ subtree: true }).every((a) => a.playState !== 'running'
        || a.effect.getComputedTiming().endTime === Infinity)"""


def axe_violations(page, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """axe-core (from web/node_modules) run on the page as it is now: its violations of the
    given impacts, each with its rule, impact, help and the selectors of the nodes at fault.
    It is evaluated through the DevTools protocol, which the page's CSP does not govern."""
    # A card settling into its place fades in for a quarter second; contrast is judged on the
    # grid at rest (CI on 2026-12-01 caught axe measuring a card's distance mid-fade).
    wait_for(page, SETTLED)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ')) }));
    }""")
    return [v for v in result if v["impact"] in impacts]


def pose_pixels(png: bytes):
    """An element's screenshot as an (H, W) mask of the skeleton's white lines and pink dots
    (not the black background, nor the card's grey border)."""
    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("RGB"), np.int16)
    return pixels[:, :, 0] > 120


def where_drawn(keypoints, side, mirrored):
    """Where a pose fitted to a side x side square lands (its confident keypoints fill 80% of
    it, centred), flipped when the match was found mirrored."""
    pose = np.asarray(keypoints, float)
    sure = pose[pose[:, 2] >= 0.3]
    low, high = sure[:, :2].min(axis=0), sure[:, :2].max(axis=0)
    scale = 0.8 * side / np.maximum(high - low, 1).max()
    points = (sure[:, :2] - (low + high) / 2) * scale + side / 2
    if mirrored:
        points[:, 0] = side - points[:, 0]
    return points


def assert_skeleton_drawn(png: bytes, keypoints, mirrored):
    drawn = pose_pixels(png)
    side = drawn.shape[1]
    assert drawn.shape[0] == side  # a square
    for x, y in where_drawn(keypoints, side, mirrored):
        r = max(3, side // 60)
        near = drawn[max(0, int(y) - r):int(y) + r + 1, max(0, int(x) - r):int(x) + r + 1]
        assert near.any(), (x, y, side)  # every confident keypoint is drawn where it lies
    edge = max(2, side // 40)  # nothing near the edges: the pose fills 80%, centred
    assert not drawn[:edge].any() and not drawn[-edge:].any()
    assert not drawn[:, :edge].any() and not drawn[:, -edge:].any()
    assert 0.005 < drawn.mean() < 0.4, drawn.mean()
    assert np.ptp(np.nonzero(drawn)[0]) > 0.3 * side  # a body, not a dot
