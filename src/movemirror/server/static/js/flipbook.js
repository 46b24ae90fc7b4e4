// The mirror view's large image: the held match, swapped in only once decoded so the
// flipbook never flashes an empty frame.

import { describeMatch } from './describe.js';

export class Flipbook {
  constructor({ image, caption, empty }) {
    Object.assign(this, { image, caption, empty });
    this.shownId = null;
    this.wanted = null;
    this.changes = 0;
  }

  show(match) {
    if (!match || !match.thumbnail) {
      this.wanted = null;
      this.shownId = null;
      this.image.hidden = true;
      this.caption.textContent = '';
      this.empty.hidden = false;
      return;
    }
    this.caption.textContent = attribution(match);
    if (match.id === this.shownId || (this.wanted && this.wanted.id === match.id)) return;
    this.wanted = match;
    const next = new Image();
    next.src = match.thumbnail;
    next.decode().then(() => {
      if (this.wanted !== match) return;
      this.image.src = next.src;
      this.image.alt = `Best match: ${describeMatch(match)}`;
      this.image.dataset.matchId = match.id;
      this.image.classList.toggle('flipped', Boolean(match.mirrored));
      this.image.hidden = false;
      this.empty.hidden = true;
      this.shownId = match.id;
      this.changes += 1;
    }).catch(() => {});
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
