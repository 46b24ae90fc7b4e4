"""The coverage report: one self-contained HTML page (no network: the map as an inline PNG,
skeletons as inline SVG, thumbnails as inline JPEG) and the map as a PNG drawn with Pillow."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from movemirror.coverage.analysis import Coverage
from movemirror.coverage.colours import label_colour, region_colour, rgb
from movemirror.coverage.holes import hole_sentence, holes_rule
from movemirror.keypoints import SKELETON_EDGES
from movemirror.vectors import MIN_SCORE
from movemirror.wording import counted

MAP_SIZE = 720  # pixels, the map's PNG is square
THUMB_SIZE = 96
SKELETON_SIZE = 96
_DENSITY_BINS = 40
_MARGIN = 24
_HOLE = (214, 39, 40)
_REFERENCE = (150, 205, 150)  # pale: the holes stand out
SHOWN_CROWDS = 10
SHOWN_HOLES = 10


def map_png(coverage: Coverage, size: int = MAP_SIZE, labels: bool = True) -> bytes:
    """The map: bank density in grey, reference poses green, holes red, each region's medoid
    ringed in the region's colour (as the page's coverage view colours it); hole groups
    labelled H1.., regions R1.. (as in the report) unless labels is False (the report writes
    them as text over the picture, readable at any size)."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    to_pixels = _MapPixels(coverage, size)
    lo, hi = to_pixels.lo, to_pixels.hi
    counts, _, _ = np.histogram2d(coverage.drawn_xy[:, 0], coverage.drawn_xy[:, 1],
                                  bins=_DENSITY_BINS, range=[[lo[0], hi[0]], [lo[1], hi[1]]])
    shade = np.log1p(counts) / max(np.log1p(counts).max(), 1e-9)
    cell = (size - 2 * _MARGIN) / _DENSITY_BINS
    for i, j in zip(*np.nonzero(counts), strict=True):
        grey = int(235 - 175 * shade[i, j])
        x, y = _MARGIN + i * cell, _MARGIN + j * cell
        draw.rectangle([x, y, x + cell, y + cell], fill=(grey, grey, grey))
    holes = coverage.holes
    if coverage.reference_xy is not None and holes is not None:
        for (x, y), hole in zip(to_pixels(coverage.reference_xy), holes.is_hole,
                                strict=True):
            colour, r = (_HOLE, 2.5) if hole else (_REFERENCE, 1.0)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    for n, region in enumerate(coverage.regions, 1):
        x, y = to_pixels(region.position)
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], outline=rgb(region_colour(n)), width=2)
    if labels:
        for text, x, y, colour in map_labels(coverage, size):
            draw.text((x + 6, y - 8), text, fill=colour, font=font, stroke_width=2,
                      stroke_fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def map_labels(coverage: Coverage, size: int = MAP_SIZE
               ) -> list[tuple[str, float, float, tuple[int, int, int]]]:
    """The map's labels as (text, x, y in pixels of the map's PNG, colour): the first
    SHOWN_HOLES hole groups H1.. at their medoids in the holes' red, the regions R1.. at
    theirs, each in its region's colour made readable on white (as the page labels them)."""
    to_pixels = _MapPixels(coverage, size)
    out = []
    holes = coverage.holes
    if coverage.reference_xy is not None and holes is not None:
        for n, group in enumerate(holes.groups[:SHOWN_HOLES], 1):
            x, y = to_pixels(coverage.reference_xy[group.medoid])
            out.append((f"H{n}", float(x), float(y), _HOLE))
    for n, region in enumerate(coverage.regions, 1):
        x, y = to_pixels(region.position)
        out.append((f"R{n}", float(x), float(y), label_colour(region_colour(n))))
    return out


class _MapPixels:
    """Map positions -> pixels of a size x size PNG, over the bank's and reference's span."""

    def __init__(self, coverage: Coverage, size: int):
        points = [coverage.drawn_xy]
        if coverage.reference_xy is not None:
            points.append(coverage.reference_xy)
        every = np.concatenate(points)
        self.lo, self.hi = every.min(axis=0), every.max(axis=0)
        self.span = np.maximum(self.hi - self.lo, 1e-9)
        self.size = size

    def __call__(self, xy) -> np.ndarray:
        return _MARGIN + (np.asarray(xy) - self.lo) / self.span * (self.size - 2 * _MARGIN)


def skeleton_svg(pose, size: int = SKELETON_SIZE) -> str:
    """An inline <svg> of a pose's confident keypoints and the bones between them."""
    pose = np.asarray(pose, np.float64)
    seen = pose[:, 2] >= MIN_SCORE
    xy = pose[:, :2]
    lo, hi = xy[seen].min(axis=0), xy[seen].max(axis=0)
    scale = (size - 12) / max(float((hi - lo).max()), 1e-9)
    offset = (size - (hi - lo) * scale) / 2
    p = (xy - lo) * scale + offset
    parts = [f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
             'class="skeleton" role="img">']
    for a, b in SKELETON_EDGES:
        if seen[a] and seen[b]:
            parts.append(f'<line x1="{p[a, 0]:.1f}" y1="{p[a, 1]:.1f}" x2="{p[b, 0]:.1f}" '
                         f'y2="{p[b, 1]:.1f}" stroke="#333" stroke-width="2.5"/>')
    for i in np.flatnonzero(seen):
        parts.append(f'<circle cx="{p[i, 0]:.1f}" cy="{p[i, 1]:.1f}" r="2.5" fill="#d62728"/>')
    parts.append("</svg>")
    return "".join(parts)


def thumbnail_img(bank, row: int, size: int = THUMB_SIZE) -> str:
    """An <img> of a bank pose's thumbnail as an inline JPEG, or "" where it has none."""
    picture = bank.image(int(row))  # read by row from the bank, whatever its format
    if not picture:
        return ""
    try:
        with Image.open(io.BytesIO(picture)) as source:
            image = source.convert("RGB")
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80)
    except OSError:
        return ""
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img class="thumb" alt="" src="data:image/jpeg;base64,{data}">'


def report_html(coverage: Coverage, bank, title: str, png: bytes | None = None) -> str:
    """The whole report as one HTML page; png: the map without its labels (map_png's, with
    labels=False) if already drawn: the labels are text over it."""
    png = map_png(coverage, labels=False) if png is None else png
    keypoints = bank.keypoints
    e = html.escape
    out = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
           "name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>{e(title)}</title><style>{_STYLE}</style></head><body><h1>{e(title)}</h1>"]
    out.append(f"<p>{coverage.bank_size} poses. Map: {e(coverage.map.method.upper())} of the "
               f"poses' normalised x/y, fitted on {len(coverage.drawn)} of them; grey shows "
               "how many bank poses lie there"
               + (", green the reference poses, red the holes" if coverage.holes else "")
               + "; each region's medoid is ringed and named (R1..) in the region's colour, "
               "as on the page's Coverage view.</p>")
    encoded = base64.b64encode(png).decode()
    out.append(f'<div class="map"><img alt="map of the bank\'s poses" '
               f'src="data:image/png;base64,{encoded}">')
    for text, x, y, colour in map_labels(coverage):  # where the PNG has them, as fractions
        out.append(f'<span class="map-label" style="left:{x / MAP_SIZE:.2%};'
                   f'top:{y / MAP_SIZE:.2%};color:rgb{colour}">{text}</span>')
    out.append("</div>")
    out.append(_holes_section(coverage, bank, keypoints))
    out.append("<h2>Regions</h2><p>The map's regions (k-means on the poses), largest first, "
               "each shown by its medoid pose.</p><table><tr><th></th><th>pose</th>"
               "<th>thumbnail</th><th>share of the bank</th><th>most of its poses</th></tr>")
    for n, region in enumerate(coverage.regions, 1):
        out.append(f'<tr><td class="region" style="color:rgb{label_colour(region_colour(n))}">'
                   f"R{n}</td><td>{skeleton_svg(keypoints[region.medoid])}</td>"
                   f"<td>{thumbnail_img(bank, region.medoid)}</td><td>{region.share:.1%}</td>"
                   f"<td>{e(', '.join(region.phrases) or '-')}</td></tr>")
    out.append("</table>")
    crowds = coverage.crowds
    out.append(f"<h2>Crowds</h2><p>Clusters of near-identical poses (within {crowds.threshold} "
               f"in cosine distance of their first pose, the threshold of "
               f"<code>index --dedup</code>) among {crowds.examined} poses examined: "
               f"{counted(len(crowds.crowds), 'crowd')}; deduplication at this threshold could "
               f"drop up to {crowds.redundant_share:.1%} of the poses.</p>")
    if crowds.crowds:
        out.append("<table><tr><th>pose</th><th>thumbnail</th><th>poses</th><th>share</th>"
                   "<th>id of the first</th></tr>")
        ids = bank.ids
        for crowd in crowds.crowds[:SHOWN_CROWDS]:
            out.append(f"<tr><td>{skeleton_svg(keypoints[crowd.founder])}</td>"
                       f"<td>{thumbnail_img(bank, crowd.founder)}</td>"
                       f"<td>{len(crowd.members)}</td><td>{crowd.share:.1%}</td>"
                       f"<td class=\"id\">{e(ids[crowd.founder])}</td></tr>")
        out.append("</table>")
    out.append(f"<h2>Keypoints seen</h2><p>How often each keypoint is confidently seen "
               f"(score at least {MIN_SCORE}).</p><table>")
    for name, share in coverage.seen.items():
        out.append(f'<tr><td>{e(name)}</td><td>{share:.1%}</td><td><div class="track"><div '
                   f'class="bar" style="width:{share:.1%}"></div></div></td></tr>')
    out.append("</table></body></html>")
    return "\n".join(out)


def _holes_section(coverage: Coverage, bank, keypoints: np.ndarray) -> str:
    holes = coverage.holes
    if holes is None or coverage.reference is None:
        return ("<h2>Holes</h2><p>No reference set was given (<code>--against</code>), so no "
                "holes were sought.</p>")
    e = html.escape
    total = len(coverage.reference)
    out = [f"<h2>Holes</h2><p>{e(holes_rule(holes, coverage.mirror))} {holes.count} of the "
           f"{total} reference poses ({holes.count / max(total, 1):.1%}) are holes, in "
           f"{len(holes.groups)} groups.</p>"]
    if holes.groups:
        out.append("<table><tr><th></th><th>the group's medoid</th><th>nearest bank pose</th>"
                   "<th></th><th>what it holds</th></tr>")
        shown = holes.groups[:SHOWN_HOLES]
        nearest_rows = bank.search(coverage.reference[[g.medoid for g in shown]], k=1,
                                   metric=holes.metric, mirror=coverage.mirror).indices[:, 0]
        for n, (group, row) in enumerate(zip(shown, nearest_rows, strict=True), 1):
            out.append(f"<tr><td>H{n}</td><td>{skeleton_svg(coverage.reference[group.medoid])}"
                       f"</td><td>{skeleton_svg(keypoints[row])}</td>"
                       f"<td>{thumbnail_img(bank, row)}</td>"
                       f"<td>{e(hole_sentence(group, total))} (median distance "
                       f"{group.distance:.3f}).</td></tr>")
        out.append("</table>")
    return "".join(out)


_STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left;
         vertical-align: middle; }
td.id { overflow-wrap: anywhere; }
td.region { font-weight: bold; }
.map { position: relative; display: inline-block; max-width: 100%; }
.map img { display: block; max-width: 100%; border: 1px solid #ccc; }
/* the map's labels stay text-sized however small the map is drawn */
.map-label { position: absolute; transform: translate(5px, -55%); font-weight: bold;
             font-size: 0.9rem; pointer-events: none; white-space: nowrap;
             text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff; }
.track { width: 200px; max-width: 35vw; }
.bar { height: 10px; background: #1f77b4; }
.skeleton { background: #fafafa; }
@media (max-width: 40em) {
  body { margin: 1em; }
  td, th { padding: 4px; }
  .skeleton { width: 56px; height: 56px; }
  .thumb { max-width: 56px; height: auto; }
}
"""
