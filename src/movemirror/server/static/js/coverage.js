// The Coverage view: the bank's map of poses (GET /api/coverage, as `movemirror coverage`
// fits it), drawn on a canvas; your live pose as a moving dot; a click on a region lists
// its poses (GET /api/coverage/regions/N).

const MIN_SCORE = 0.2; // movemirror.vectors.MIN_SCORE
export const REGION_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b',
  '#e377c2', '#17becf', '#bcbd22'];
const LABEL_CONTRAST = 4.5; // WCAG AA for text, against the map's white
const MARGIN = 16;
const LABEL_PX = 14; // the regions' labels, in CSS pixels on screen

/** The normalised x/y of a pose (17 x [x, y, score]) as movemirror.vectors makes it: the box
 * of its confident keypoints scaled to a longer side of 1, clipped, L2-normalised. */
export function poseFeatures(keypoints, minScore = MIN_SCORE) {
  const seen = keypoints.filter((k) => k[2] >= minScore);
  if (seen.length === 0) return null;
  const xs = seen.map((k) => k[0]);
  const ys = seen.map((k) => k[1]);
  const [loX, loY] = [Math.min(...xs), Math.min(...ys)];
  const side = Math.max(Math.max(...xs) - loX, Math.max(...ys) - loY);
  if (!(side > 1e-6)) return null;
  const [topX, topY] = [(Math.max(...xs) - loX) / side, (Math.max(...ys) - loY) / side];
  const clip = (v, top) => Math.min(Math.max(v, 0), top);
  const xy = keypoints.flatMap(([x, y]) => [clip((x - loX) / side, topX),
    clip((y - loY) / side, topY)]);
  const norm = Math.hypot(...xy);
  return xy.map((v) => v / norm);
}

/** Where a pose's features fall on the map: movemirror.coverage.page_map.place_by_landmarks,
 * the 1/distance-weighted mean position of its nearest landmarks. */
export function placeByLandmarks(features, landmarks, points) {
  const { features: flat, count, neighbours } = landmarks;
  const dim = features.length;
  const near = [];
  for (let i = 0; i < count; i += 1) {
    let sum = 0;
    for (let d = 0; d < dim; d += 1) sum += (features[d] - flat[i * dim + d]) ** 2;
    near.push([Math.sqrt(sum), i]);
  }
  near.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let [x, y, total] = [0, 0, 0];
  for (const [distance, i] of near.slice(0, neighbours)) {
    const weight = 1 / Math.max(distance, 1e-9);
    x += weight * points[i][0];
    y += weight * points[i][1];
    total += weight;
  }
  return [x / total, y / total];
}

function luminance(rgb) {
  const linear = rgb.map((c) => (c <= 0.03928 * 255 ? c / 255 / 12.92
    : ((c / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

/** A region's label colour: its colour (#rrggbb), darkened in one ratio (the same hue) until
 *  it reads on white at `contrast` (the light ones, orange or olive, are under 3:1 as they
 *  are). As the coverage report does, the label takes its region's colour. */
export function labelColour(hex, contrast = LABEL_CONTRAST) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let factor = 1;
  const at = (f) => rgb.map((c) => Math.round(c * f));
  while (1.05 / (luminance(at(factor)) + 0.05) < contrast) factor -= 0.02;
  return `rgb(${at(factor).join(', ')})`;
}

export class CoverageView {
  /** heading: where the region listed is named (none: only its list's label names it) */
  constructor({ canvas, list, caption, render, heading = null }) {
    Object.assign(this, { canvas, list, caption, render, heading });
    this.map = null;
    this.dot = null;
    this.region = null;
    this.loading = null;
    this.px = 1; // canvas pixels per CSS pixel (fit())
    this.labels = [];
    canvas.addEventListener('click', (event) => this.click(event));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Sizes the canvas to its box on screen (sharp at any width) and returns its pixels per
   *  CSS pixel, by which labels and dots keep one size on a phone and on a laptop. */
  fit() {
    const { canvas } = this;
    const shown = canvas.getBoundingClientRect().width;
    if (shown) {
      const side = Math.round(shown * (window.devicePixelRatio || 1));
      if (side !== canvas.width) {
        canvas.width = side;
        canvas.height = side;
      }
      this.px = canvas.width / shown;
    }
    return this.px;
  }

  /** Fetches the map once (the server may still be computing it: then asks again). */
  load() {
    if (!this.loading) this.loading = this.fetchMap();
    return this.loading;
  }

  async fetchMap() {
    for (;;) {
      const reply = await fetch('/api/coverage');
      if (reply.status === 202) {
        this.caption.textContent = 'The map of the bank is being computed…';
        const seconds = Number(reply.headers.get('Retry-After')) || 2;
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      if (!reply.ok) {
        const detail = (await reply.json().catch(() => ({}))).detail || reply.statusText;
        this.caption.textContent = `No map: ${detail}`;
        this.loading = null;
        return null;
      }
      this.map = await reply.json();
      const [lo, hi] = [[Infinity, Infinity], [-Infinity, -Infinity]];
      for (const [x, y] of this.map.points) {
        lo[0] = Math.min(lo[0], x); lo[1] = Math.min(lo[1], y);
        hi[0] = Math.max(hi[0], x); hi[1] = Math.max(hi[1], y);
      }
      this.bounds = { lo, span: [Math.max(hi[0] - lo[0], 1e-9), Math.max(hi[1] - lo[1], 1e-9)] };
      this.caption.textContent = `${this.map.points.length.toLocaleString()} of `
        + `${this.map.bank_size.toLocaleString()} poses, mapped by `
        + `${this.map.method.toUpperCase()}; the dot is you. Click a region to see its poses.`;
      this.draw();
      return this.map;
    }
  }

  toCanvas([x, y]) {
    const { width, height } = this.canvas;
    const { lo, span } = this.bounds;
    const margin = MARGIN * this.px;
    return [margin + ((x - lo[0]) / span[0]) * (width - 2 * margin),
      margin + ((y - lo[1]) / span[1]) * (height - 2 * margin)];
  }

  /** Opens the view: the map once loaded, with the pose on screen as the dot. */
  show(keypoints) {
    this.load().then(() => this.place(keypoints));
  }

  /** Moves the dot to a live pose (17 x [x, y, score]), or hides it for null. */
  place(keypoints) {
    if (!this.map) return;
    const features = keypoints ? poseFeatures(keypoints) : null;
    this.dot = features ? placeByLandmarks(features, this.map.landmarks, this.map.points) : null;
    this.draw();
  }

  draw() {
    const px = this.fit();
    const ctx = this.canvas.getContext('2d');
    const { width, height } = this.canvas;
    if (!this.map) return; // the panel's colour shows until the map comes (no white square)
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    const size = (this.map.points.length < 500 ? 5 : 3) * px; // a small bank's stay visible
    for (const point of this.map.points) {
      const [x, y] = this.toCanvas(point);
      const selected = this.region === point[2] + 1;
      ctx.fillStyle = REGION_COLOURS[point[2] % REGION_COLOURS.length];
      ctx.globalAlpha = selected ? 0.9 : 0.35;
      ctx.fillRect(x - size / 2, y - size / 2, size, size);
    }
    ctx.globalAlpha = 1;
    ctx.font = `bold ${LABEL_PX * px}px sans-serif`;
    // where each is drawn, in canvas pixels: {text, left, right, y (its baseline), size}
    this.labels = [];
    for (const region of this.map.regions) {
      const [x, y] = this.toCanvas([region.x, region.y]);
      const text = `R${region.number}`;
      const textWidth = ctx.measureText(text).width;
      // right of its medoid, or left of it where it would run off the map's right edge
      let left = x + 6 * px;
      if (left + textWidth > width) left = x - 6 * px - textWidth;
      ctx.lineWidth = 3 * px;
      ctx.strokeStyle = '#fff';
      ctx.strokeText(text, left, y - 6 * px);
      ctx.fillStyle = labelColour(REGION_COLOURS[(region.number - 1) % REGION_COLOURS.length]);
      ctx.fillText(text, left, y - 6 * px);
      this.labels.push({ text, left, right: left + textWidth, y: y - 6 * px, size: LABEL_PX * px });
    }
    if (this.dot) {
      const [x, y] = this.toCanvas(this.dot);
      ctx.beginPath();
      ctx.arc(x, y, 8 * px, 0, 2 * Math.PI);
      ctx.fillStyle = '#d62728';
      ctx.fill();
      ctx.lineWidth = 2 * px;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }

  /** The region of the map point nearest a click, and its poses listed. */
  async click(event) {
    if (!this.map) return;
    const rect = this.canvas.getBoundingClientRect();
    const cx = ((event.clientX - rect.left) / rect.width) * this.canvas.width;
    const cy = ((event.clientY - rect.top) / rect.height) * this.canvas.height;
    let best = null;
    let bestDistance = Infinity;
    for (const point of this.map.points) {
      const [x, y] = this.toCanvas(point);
      const distance = (x - cx) ** 2 + (y - cy) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [point, distance];
    }
    if (best) await this.showRegion(best[2] + 1);
  }

  async showRegion(number) {
    this.region = number;
    this.draw();
    const reply = await fetch(`/api/coverage/regions/${number}`);
    if (!reply.ok) return;
    const { matches } = await reply.json();
    const info = this.map.regions[number - 1];
    const share = `${(info.share * 100).toFixed(0)}% of the poses`;
    const words = info.phrases.length ? `mostly ${info.phrases.join(', ')}` : '';
    this.list.dataset.region = String(number);
    this.list.setAttribute('aria-label', `Region R${number}, ${share}${words && `: ${words}`}`);
    if (this.heading) {
      this.heading.textContent = [`R${number}`, share, words,
        'nearest its middle pose first (distance to it)'].filter(Boolean).join(' · ');
      this.heading.hidden = false;
    }
    this.render(matches);
  }
}
