// No photo hogs the mirror. The server already sends at most one match per source frame (a
// photo, or one second of a video); the flipbook also remembers the frames it showed lately
// and, when the best match comes from one of them, shows an almost-as-good match (within
// MARGIN in distance) from elsewhere instead.

export const FRAME_SECONDS = 1; // movemirror.server.variety.FRAME_SECONDS
export const MARGIN = 0.02; // distance a fresh match may lose to the best (cosine's units)
// "likeness" answers in torso distances, whose top 5 of a mirror-view reply spread about twice
// as wide as cosine's (Penn Action's 30 s tuning clip: median 0.056 against 0.029); there the
// margin x1 gave the fewest moments, x1.5 to x3 the same, more (tests/web/test_variety.py).
export const METRIC_MARGINS = { likeness: 0.04 };
export const MEMORY_MS = 8000; // how long a shown frame counts as lately seen

/** The margin for replies of a metric (the search's metric option). */
export function marginFor(metric) {
  return METRIC_MARGINS[metric] ?? MARGIN;
}

/** The source frame of a match, as movemirror.server.variety.frame_key makes it from the
 * match's file name (a match never names its source's folders, so two files of one name in
 * different folders count as one here; the server's one match per frame tells them apart). */
export function frameKey(match) {
  if (match.file === null || match.file === undefined) return `#${match.id}`;
  const time = match.frame_time;
  if (time === null || time === undefined || !Number.isFinite(time)) return match.file;
  return `${match.file}@${Math.floor(time / FRAME_SECONDS)}`;
}

export class RecentFrames {
  constructor({ margin = MARGIN, memoryMs = MEMORY_MS } = {}) {
    Object.assign(this, { margin, memoryMs });
    this.shownAt = new Map(); // frame key -> when last shown
  }

  /** The match to offer (best first in `matches`): the best unless its frame was shown
   * lately and a match from a frame not shown lately is within the margin. */
  pick(matches, now = performance.now()) {
    const best = matches[0];
    if (!this.lately(best, now)) return best;
    const fresh = matches.find((m) => m.distance <= best.distance + this.margin
      && !this.lately(m, now));
    return fresh || best;
  }

  remember(match, now = performance.now()) {
    this.shownAt.set(frameKey(match), now);
    for (const [key, at] of this.shownAt) {
      if (now - at > this.memoryMs) this.shownAt.delete(key);
    }
  }

  lately(match, now) {
    const at = this.shownAt.get(frameKey(match));
    return at !== undefined && now - at <= this.memoryMs;
  }

  clear() {
    this.shownAt.clear();
  }
}
