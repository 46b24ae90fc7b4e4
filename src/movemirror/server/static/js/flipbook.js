// The mirror view's match: the held match's image, its skeleton drawn over it and its caption,
// swapped in together (once the image is decoded) from one match, so the caption never names
// another picture and the panel never flashes an empty frame.
import { MIRRORED_SIGN, describeMatch } from './describe.js';
import { drawNormalizedSkeleton } from './draw.js';

// Sharp enough: the image is never drawn larger than this many times its own pixels.
export const MAX_UPSCALE = 2;
const MIRRORED_TITLE = 'The match was found flipped left to right, so it is shown flipped';

export class Flipbook {
  /** elements: {frame, image, skeleton (canvas), caption, empty, skeletonToggle} */
  constructor({ frame, image, skeleton, caption, empty, skeletonToggle }) {
    Object.assign(this, { frame, image, skeleton, caption, empty, skeletonToggle });
    this.shown = null;
    this.wanted = null;
    this.changes = 0;
    skeletonToggle.addEventListener('change', () => this.drawSkeleton());
    new ResizeObserver(() => this.fit()).observe(frame.parentElement);
  }

  /** What the panel says when there is no match to show. */
  say(text) {
    this.empty.textContent = text;
  }

  get shownId() {
    return this.shown ? this.shown.id : null;
  }

  show(match) {
    if (!match || !match.thumbnail) {
      this.wanted = null;
      this.shown = null;
      this.frame.hidden = true;
      this.image.hidden = true;
      this.image.removeAttribute('data-match-id');
      this.caption.textContent = '';
      this.empty.hidden = false;
      return;
    }
    if (match.id === this.shownId) {
      // The same picture; its distance, or whether it matched mirrored, may have changed.
      const flip = Boolean(match.mirrored) !== Boolean(this.shown.mirrored);
      this.shown = match;
      this.wanted = null;
      if (flip) this.label(match);
      return;
    }
    if (this.wanted && this.wanted.id === match.id) return;
    this.wanted = match;
    const next = new Image();
    next.src = match.thumbnail;
    next.decode().then(() => {
      if (this.wanted !== match) return;
      this.wanted = null;
      this.swapIn(match, next);
    }).catch(() => {});
  }

  swapIn(match, decoded) {
    this.image.src = decoded.src;
    this.image.dataset.matchId = match.id;
    this.caption.dataset.matchId = match.id;
    this.label(match);
    this.frame.hidden = false;
    this.image.hidden = false;
    this.empty.hidden = true;
    this.shown = match;
    this.changes += 1;
    this.fit();
  }

  /** The words for the picture and whether it is shown flipped, which say so together. */
  label(match) {
    const mirrored = Boolean(match.mirrored);
    this.image.alt = `Best match: ${describeMatch(match)}`;
    this.caption.textContent = attribution(match) + (mirrored ? ` · ${MIRRORED_SIGN} mirrored` : '');
    this.caption.title = mirrored ? MIRRORED_TITLE : '';
    this.frame.classList.toggle('flipped', mirrored);
  }

  /** Sizes the picture to fill its panel at its own aspect, but at most MAX_UPSCALE x. */
  fit() {
    const { image, frame } = this;
    if (!this.shown || !image.naturalWidth) return;
    const panel = frame.parentElement.getBoundingClientRect();
    const room = this.caption.getBoundingClientRect().height + 8;
    const scale = Math.min(panel.width / image.naturalWidth,
      Math.max(0, panel.height - room) / image.naturalHeight, MAX_UPSCALE);
    frame.style.width = `${Math.floor(image.naturalWidth * scale)}px`;
    frame.style.height = `${Math.floor(image.naturalHeight * scale)}px`;
    this.drawSkeleton();
  }

  drawSkeleton() {
    const canvas = this.skeleton;
    const pose = this.shown && this.shown.image_pose;
    const on = Boolean(pose) && this.skeletonToggle.checked;
    canvas.hidden = !on;
    if (!on) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(this.frame.clientWidth * ratio);
    canvas.height = Math.round(this.frame.clientHeight * ratio);
    drawNormalizedSkeleton(canvas, pose);
  }
}

export function attribution(match) {
  // The file's name is enough under the picture; the detail dialog shows the source.
  const parts = [match.file || match.id];
  if (match.frame_time !== null && match.frame_time !== undefined) {
    parts.push(`at ${Number(match.frame_time).toFixed(1)} s`);
  }
  if (match.credit) parts.push(match.credit);
  if (match.licence) parts.push(match.licence);
  return parts.join(' · ');
}
