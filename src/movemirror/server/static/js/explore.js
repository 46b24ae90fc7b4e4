// The explore view (Move Mirror's debug tool): the top matches as a grid with distances;
// a click shows one large in the detail dialog.
//
// The grid is updated in place: a card whose pose stays in the top k is the same element,
// moved (and animated as it settles), so keyboard focus and a half-loaded image survive.
import { MIRRORED_SIGN, describeMatch } from './describe.js';
import { DRAWN_NOTE, drawPoseAlone, drawnAlone } from './pose_alone.js';

const MOVE_MS = 250;
const SETTLE_FROM = 0.9; // a moved card's scale as it starts to settle (never above 1)
const POSE_SIDE = 256; // a card's skeleton canvas, in pixels (shown 96 to 200 px wide)
const CARD_LINE_SCALE = 2.5; // its lines: about 3 px on a 200 px card

function motionAllowed() {
  return !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export class ExploreGrid {
  /** grid: the <ol>; dialog: a MatchDialog, opened with a card's match; empty: where the
   * grid says why it has no card (none: it says nothing). */
  constructor({ grid, dialog, empty = null }) {
    Object.assign(this, { grid, dialog, empty });
    this.cards = new Map(); // match id -> <li>
    this.owedFocus = null; // the dialog's opener, while focus waits for cards to come back
    this.lastRender = 0;
    this.renders = 0;
  }

  /** Updates the grid, at most every `minIntervalMs` so a card stays put long enough to read. */
  render(matches, { force = false, minIntervalMs = 500 } = {}) {
    const now = performance.now();
    if (!force && now - this.lastRender < minIntervalMs) return;
    this.lastRender = now;
    this.renders += 1;
    const focused = this.grid.contains(document.activeElement) ? document.activeElement : null;
    const focusedRank = focused ? [...this.grid.children].indexOf(focused.closest('li')) : -1;
    const before = new Map([...this.cards].map(([id, item]) => [id, item.getBoundingClientRect()]));

    const wanted = new Map();
    (matches || []).forEach((match, rank) => {
      const item = this.cards.get(match.id) || this.card();
      this.update(item, match, rank);
      wanted.set(match.id, item);
    });
    for (const [id, item] of this.cards) if (!wanted.has(id)) item.remove();
    let previous = null;
    for (const item of wanted.values()) {
      const expected = previous ? previous.nextSibling : this.grid.firstChild;
      if (expected !== item) this.grid.insertBefore(item, expected);
      previous = item;
    }
    this.cards = wanted;
    if (this.empty) this.empty.hidden = this.cards.size > 0;

    this.restoreFocus(focused, focusedRank);
    this.focusPending();
    if (motionAllowed()) this.animateMoves(before);
  }

  /** What the grid says while it has no card (the mirror panel's words: what is missing,
   * and what to do). */
  say(text) {
    if (!this.empty) return;
    this.empty.textContent = text;
    this.empty.hidden = this.cards.size > 0;
  }

  /** Focus owed since the dialog closed on an empty grid (a frame without a person), paid
   * once cards are back, unless the user has put focus elsewhere meanwhile. */
  focusPending() {
    const opener = this.owedFocus;
    if (!opener) return;
    const target = document.activeElement === document.body && this.focusAfterDialog(opener);
    if (target) target.focus({ preventScroll: true });
    if (target || document.activeElement !== document.body) this.owedFocus = null;
  }

  /** The focused card keeps focus when it moved; when it left, its place takes it. */
  restoreFocus(focused, rank) {
    if (!focused || document.activeElement === focused) return;
    if (focused.isConnected) {
      focused.focus({ preventScroll: true });
      return;
    }
    const items = this.grid.children;
    const heir = items[Math.min(rank, items.length - 1)];
    if (heir) heir.firstChild.focus({ preventScroll: true });
  }

  /** A card that moved settles into its new place, growing back from a little smaller and
   * fainter. It does not slide there from its old place: sliding, cards crossed over each
   * other (on a phone's narrow grid, over nearly all of a card). */
  animateMoves(before) {
    for (const [id, item] of this.cards) {
      const was = before.get(id);
      if (!was) continue;
      const now = item.getBoundingClientRect();
      if (Math.abs(was.left - now.left) < 1 && Math.abs(was.top - now.top) < 1) continue;
      item.animate([{ transform: `scale(${SETTLE_FROM})`, opacity: 0.4 },
        { transform: 'none', opacity: 1 }], { duration: MOVE_MS, easing: 'ease-out' });
    }
  }

  /** The card that opened the dialog (or its pose's card now); if the pose has left the
   * grid, the card at its place. */
  focusAfterDialog(item) {
    if (item.isConnected) return item.firstChild;
    const again = this.cards.get(item.match.id); // it left, and came back as a new card
    if (again) return again.firstChild;
    const items = this.grid.children;
    const heir = items[Math.min(item.rank, items.length - 1)];
    if (!heir) this.owedFocus = item; // the grid is empty: the next render with cards pays
    return heir ? heir.firstChild : null;
  }

  card() {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'card';
    const frame = document.createElement('span');
    frame.className = 'thumb';
    const img = document.createElement('img');
    img.decoding = 'async';
    img.addEventListener('load', () => { frame.dataset.loading = 'false'; });
    img.addEventListener('error', () => { frame.dataset.loading = 'failed'; });
    const pose = document.createElement('canvas'); // for a match without a picture
    pose.width = POSE_SIDE;
    pose.height = POSE_SIDE;
    pose.setAttribute('role', 'img');
    pose.hidden = true;
    frame.append(img, pose);
    const label = document.createElement('span');
    label.className = 'distance';
    button.append(frame, label);
    button.addEventListener('click', () => {
      this.dialog.open(item.match, item.rank, () => this.focusAfterDialog(item));
    });
    item.append(button);
    return item;
  }

  update(item, match, rank) {
    Object.assign(item, { match, rank });
    const button = item.firstChild;
    const img = button.querySelector('img');
    const frame = button.querySelector('.thumb');
    button.dataset.matchId = match.id;
    const pose = button.querySelector('canvas');
    const source = match.thumbnail || '';
    const drawn = drawnAlone(match);
    if (drawn) {
      // A card is its pose's for good: drawn once, and its <img> is never given a src.
      if (pose.hidden) drawPoseAlone(pose, match.keypoints, CARD_LINE_SCALE);
      frame.dataset.loading = 'false';
    } else if (img.getAttribute('src') !== source) {
      frame.dataset.loading = source ? 'true' : 'failed';
      img.src = source;
    }
    img.hidden = drawn;
    pose.hidden = !drawn;
    img.alt = describeMatch(match, rank);
    if (drawn) pose.setAttribute('aria-label', `${img.alt}, ${DRAWN_NOTE}`);
    for (const shown of [img, pose]) shown.classList.toggle('flipped', Boolean(match.mirrored));
    button.querySelector('.distance').textContent = `#${rank + 1} · ${match.distance.toFixed(3)}`
      + (match.mirrored ? ` ${MIRRORED_SIGN}` : '');
  }
}
