// The mirror view's match: the held match's image, its skeleton drawn over it and its caption,
// swapped in together (once the image is decoded) from one match, so the caption never names
// another picture and the panel never flashes an empty frame.
import { MIRRORED_SIGN, describeMatch } from './describe.js';
import { drawNormalizedSkeleton } from './draw.js';
import { DRAWN_NOTE, drawPoseAlone, drawnAlone } from './pose_alone.js';

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
    if (!match || !(match.thumbnail || drawnAlone(match))) {
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
    if (drawnAlone(match)) { // no picture to wait for: its skeleton stands for it
      this.wanted = null;
      this.swapIn(match, null);
      return;
    }
    this.wanted = match;
    const next = new Image();
    next.src = match.thumbnail;
    next.decode().then(() => {
      if (this.wanted !== match) return;
      this.wanted = null;
      this.swapIn(match, next);
    }).catch(() => {});
  }

  /** decoded: the match's picture, decoded; null for a match drawn as its skeleton. */
  swapIn(match, decoded) {
    if (decoded) this.image.src = decoded.src;
    else this.image.removeAttribute('src');
    this.image.dataset.matchId = match.id;
    this.caption.dataset.matchId = match.id;
    this.frame.classList.toggle('drawn', !decoded);
    this.label(match);
    this.frame.hidden = false;
    this.image.hidden = !decoded;
    this.empty.hidden = true;
    this.shown = match;
    this.changes += 1;
    this.fit();
  }

  /** The words for the picture and whether it is shown flipped, which say so together. */
  label(match) {
    const mirrored = Boolean(match.mirrored);
    this.image.alt = `Best match: ${describeMatch(match)}`;
    this.describeSkeleton(drawnAlone(match) ? `${this.image.alt}, ${DRAWN_NOTE}` : null);
    this.caption.textContent = attribution(match) + (mirrored ? ` · ${MIRRORED_SIGN} mirrored` : '');
    this.caption.title = mirrored ? MIRRORED_TITLE : '';
    this.frame.classList.toggle('flipped', mirrored);
  }

  /** The skeleton canvas is the picture of a match without one (label: what it shows), else
   * a decoration of the picture, hidden from screen readers. */
  describeSkeleton(label) {
    const canvas = this.skeleton;
    if (label) {
      canvas.removeAttribute('aria-hidden');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', label);
    } else {
      canvas.setAttribute('aria-hidden', 'true');
      canvas.removeAttribute('role');
      canvas.removeAttribute('aria-label');
    }
  }

  get drawn() {
    return Boolean(this.shown) && drawnAlone(this.shown);
  }

  /** Sizes the picture to fill its panel at its own aspect, but at most MAX_UPSCALE x; a
   * skeleton standing for a picture fills a square. */
  fit() {
    const { image, frame } = this;
    if (!this.shown || !(this.drawn || image.naturalWidth)) return;
    const [width, height] = this.drawn ? [1, 1] : [image.naturalWidth, image.naturalHeight];
    const panel = frame.parentElement.getBoundingClientRect();
    const room = this.caption.getBoundingClientRect().height + 8;
    const scale = Math.min(panel.width / width, Math.max(0, panel.height - room) / height,
      this.drawn ? Infinity : MAX_UPSCALE);
    frame.style.width = `${Math.floor(width * scale)}px`;
    frame.style.height = `${Math.floor(height * scale)}px`;
    this.drawSkeleton();
  }

  drawSkeleton() {
    const canvas = this.skeleton;
    const pose = this.shown && this.shown.image_pose;
    // A skeleton that stands for the picture is drawn whatever the toggle says.
    const on = this.drawn || (Boolean(pose) && this.skeletonToggle.checked);
    canvas.hidden = !on;
    if (!on) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(this.frame.clientWidth * ratio);
    canvas.height = Math.round(this.frame.clientHeight * ratio);
    // Lines at least 2 px wide on a phone's small panel.
    if (this.drawn) drawPoseAlone(canvas, this.shown.keypoints, Math.max(1, 320 / this.frame.clientWidth));
    else drawNormalizedSkeleton(canvas, pose);
  }

  /** What the GIF draws over the picture: the skeleton canvas as "skeleton on the match" has
   * it (hidden when off); none for a skeleton that is itself the picture. */
  overlay() {
    return this.picture() && !this.drawn ? this.skeleton : null;
  }

  /** What the GIF records of the match: its picture, or the skeleton standing for it. */
  picture() {
    if (!this.shown || this.frame.hidden) return null;
    return this.drawn ? this.skeleton : this.image;
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
