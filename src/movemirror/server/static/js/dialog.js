// The detail dialog: one match large, its file's name, the source its owner published,
// credit and licence, or plainly "None given". Never a path on the server.
import { describeMatch, momentOf, NONE_GIVEN } from './describe.js';
import { DRAWN_NOTE, drawPoseAlone, drawnAlone } from './pose_alone.js';

const MAX_UPSCALE = 2; // a picture is never shown larger than twice its own size

function isWebAddress(text) {
  return /^https?:\/\/\S+$/i.test(text);
}

/** Fills `element` with `text`, as a link when it is a web address, or "None given". */
function fill(element, text) {
  element.classList.toggle('none-given', !text);
  if (!text) {
    element.textContent = NONE_GIVEN;
  } else if (isWebAddress(text)) {
    const link = document.createElement('a');
    link.href = text;
    link.textContent = text;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    element.replaceChildren(link);
  } else {
    element.textContent = text;
  }
}

export class MatchDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = dialog.querySelector('img');
    this.pose = dialog.querySelector('.detail-image canvas'); // a match without a picture
    this.match = null;
    this.returnFocus = null;
    this.image.addEventListener('load', () => this.sizeImage());
    window.addEventListener('resize', () => {
      if (dialog.open) this.sizeImage();
      if (dialog.open && !this.pose.hidden) this.drawPose();
    });
    dialog.querySelector('.close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener('close', () => {
      // After the browser's own focus restoration (to the opener, which the live grid may
      // have removed) and any grid update queued behind the close.
      requestAnimationFrame(() => {
        const target = this.returnFocus && this.returnFocus();
        if (target) target.focus({ preventScroll: true });
      });
    });
  }

  /** returnFocus(): the element to focus once the dialog closes (the opener, if still there). */
  open(match, rank, returnFocus = null) {
    const d = this.dialog;
    this.returnFocus = returnFocus;
    this.image.removeAttribute('width');
    this.image.removeAttribute('height');
    this.match = match;
    const drawn = drawnAlone(match);
    this.image.src = match.thumbnail || '';
    this.image.alt = describeMatch(match);
    this.image.hidden = drawn;
    this.pose.hidden = !drawn;
    if (drawn) this.pose.setAttribute('aria-label', `${this.image.alt}, ${DRAWN_NOTE}`);
    for (const shown of [this.image, this.pose]) {
      shown.classList.toggle('flipped', Boolean(match.mirrored));
    }
    d.querySelector('.title').textContent = [match.file || 'A match', momentOf(match)]
      .filter(Boolean).join(' ');
    d.querySelector('.rank').textContent = `#${rank + 1}`;
    d.querySelector('.distance').textContent = match.distance.toFixed(4)
      + (match.mirrored ? ' (mirrored)' : '');
    fill(d.querySelector('.file'), match.file);
    fill(d.querySelector('.source'), match.published_source);
    fill(d.querySelector('.credit'), match.credit);
    fill(d.querySelector('.licence'), match.licence);
    if (!d.open) d.showModal();
    if (drawn) this.drawPose();
    else if (this.image.complete) this.sizeImage();
  }

  /** The skeleton of a match without a picture, in a square as large as a picture may be. */
  drawPose() {
    const frame = this.pose.parentElement;
    const side = Math.floor(Math.min(frame.clientWidth, window.innerHeight * 0.72));
    if (side <= 0) return;
    const ratio = window.devicePixelRatio || 1;
    this.pose.style.width = `${side}px`;
    this.pose.style.height = `${side}px`;
    this.pose.width = Math.round(side * ratio);
    this.pose.height = Math.round(side * ratio);
    drawPoseAlone(this.pose, this.match.keypoints);
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** As large as its frame allows, but never upscaled past MAX_UPSCALE. */
  sizeImage() {
    const { naturalWidth, naturalHeight } = this.image;
    const frame = this.image.parentElement;
    if (!naturalWidth || !frame.clientWidth) return;
    const scale = Math.min(MAX_UPSCALE, frame.clientWidth / naturalWidth,
      (window.innerHeight * 0.72) / naturalHeight);
    this.image.width = Math.round(naturalWidth * scale);
    this.image.height = Math.round(naturalHeight * scale);
  }
}
