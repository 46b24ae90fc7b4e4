"""The regions' colours, as the page's coverage view and the HTML report show them: each region
in its own colour, its label the same hue made dark enough to read on white.

static/js/coverage.js holds the same list and rule (REGION_COLOURS, labelColour); a test
checks that the two agree.
"""

from __future__ import annotations

import math

# matplotlib's "tab10" without its red (the holes' colour) and grey (the bank's density)
REGION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                  "#bcbd22")
LABEL_CONTRAST = 4.5  # WCAG AA for text, against white
_DARKEN_STEP = 0.02

RGB = tuple[int, int, int]


def region_colour(number: int) -> str:
    """Region `number`'s colour (regions are numbered from 1, R1..), as #rrggbb; the colours
    go round again after the last."""
    return REGION_COLOURS[(number - 1) % len(REGION_COLOURS)]


def rgb(colour: str) -> RGB:
    """#rrggbb as (r, g, b)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: RGB) -> float:
    """WCAG's relative luminance of an sRGB colour (0-255 channels)."""
    linear = [c / 255 / 12.92 if c <= 0.03928 * 255 else ((c / 255 + 0.055) / 1.055) ** 2.4
              for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def label_colour(colour: str, contrast: float = LABEL_CONTRAST) -> RGB:
    """A region's label colour: its colour darkened, every channel in one ratio (the same hue),
    until it reads on white at `contrast` (orange and olive are under 3:1 as they are)."""
    channels = rgb(colour)
    factor = 1.0

    def darkened(f: float) -> RGB:
        r, g, b = (math.floor(c * f + 0.5) for c in channels)  # JS's Math.round
        return r, g, b

    while 1.05 / (luminance(darkened(factor)) + 0.05) < contrast:
        factor -= _DARKEN_STEP
    return darkened(factor)
