// Hysteresis for the flipbook: a match stays on screen long enough to be seen, and only
// gives way to a clearly better one, so the image follows the moves without flicker.
// With a `variety` (variety.js RecentFrames), the one it gives way to is picked so that no
// photo hogs the mirror.

export class MatchHold {
  constructor({ minHoldMs = 250, margin = 0.01, emptyAfterMs = 600, variety = null } = {}) {
    Object.assign(this, { minHoldMs, margin, emptyAfterMs, variety });
    this.current = null;
    this.shownAt = 0;
    this.lastSeenAt = 0;
  }

  /** Feed the latest ranked matches (best first); returns the match to show, or null. */
  update(matches, now = performance.now()) {
    if (!matches || matches.length === 0) {
      if (this.current && now - this.lastSeenAt > this.emptyAfterMs) this.current = null;
      return this.current;
    }
    this.lastSeenAt = now;
    const best = this.variety ? this.variety.pick(matches, now) : matches[0];
    if (!this.current) return this.show(best, now);
    const kept = matches.find((m) => m.id === this.current.id);
    if (kept) this.current = kept;
    const held = now - this.shownAt >= this.minHoldMs;
    const keptDistance = kept ? kept.distance : Infinity;
    if (best.id !== this.current.id && held && best.distance < keptDistance - this.margin) {
      return this.show(best, now);
    }
    return this.current;
  }

  clear() {
    this.current = null;
    this.variety?.clear();
  }

  show(match, now) {
    this.current = match;
    this.shownAt = now;
    this.variety?.remember(match, now);
    return match;
  }
}
