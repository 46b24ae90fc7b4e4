// Movement mode: the flipbook plays the bank track that moves like you, at your pace.
//
// With the mode on, every pose goes to the stream with `motion: true` and its time; once the
// server holds a second of your poses, its replies carry the best windows of the bank's
// tracks (`reply.motion`, best first). MovementChoice picks the track to play with
// hysteresis: it stays while that track keeps matching, and switches when another is
// clearly better (or the current one has stopped matching for a while). MovementPlayer
// plays the chosen track on from the window's end, at the window's speed, from frames it
// fetches once per track (GET /api/track): the frame's picture with its pose drawn over it
// (as "skeleton on the match" asks, where the frame says where its pose lies in the picture),
// or its skeleton alone for a track without pictures, with a short crossfade when the track
// changes.
import { drawSkeleton, fitted } from './draw.js';

export const SWITCH_RATIO = 0.85; // another track must be this much closer to take over
export const MISSES_TO_DROP = 4; // replies without the current track before it gives way
export const MIN_PLAY_MS = 500; // a track plays at least this long before another may win
export const JUMP_SECONDS = 1.0; // beyond this drift from the server's window, jump to it;
export const CATCH_UP_SECONDS = 0.5; // below it, play faster or slower to meet it in this time
export const CROSSFADE_MS = 250;
const PREFETCH_FRAMES = 15; // a clip's pictures asked for this many frames ahead
// The server searches once it holds a second of your poses; empty replies for half a second
// more mean the bank has no track to match (a bank of photos), which the page then says.
export const NO_TRACKS_AFTER_S = 1.5;
export const NO_TRACKS = 'Movement: this bank holds no video clip to match a movement '
  + '(photos only, or clips too short), so the still match is shown.';

/** The time in the track to show now: from the window's end, at the window's speed. */
export function playTime(anchor, nowMs) {
  return anchor.end + (anchor.speed * (nowMs - anchor.atMs)) / 1000;
}

/** Index of the last frame at or before t (the first frame if t is before them all). */
export function frameAt(frames, t) {
  let lo = 0;
  let hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid].time <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Which track to play, with hysteresis; update() takes each reply's `motion` list. */
export class MovementChoice {
  constructor({ switchRatio = SWITCH_RATIO, missesToDrop = MISSES_TO_DROP,
    minPlayMs = MIN_PLAY_MS } = {}) {
    Object.assign(this, { switchRatio, missesToDrop, minPlayMs });
    this.clear();
  }

  clear() {
    this.current = null; // the window being played: {track, start, end, speed, distance, ...}
    this.since = 0;
    this.misses = 0;
    this.switches = 0;
  }

  /** Returns {window, switched}: the window to play now (null: none yet). */
  update(windows, nowMs) {
    if (!windows || windows.length === 0) {
      if (this.current) this.misses += 1;
      if (this.misses >= this.missesToDrop) this.current = null;
      return { window: this.current, switched: false };
    }
    const best = windows[0];
    if (!this.current) return this.take(best, nowMs);
    const same = windows.find((w) => w.track === this.current.track);
    this.misses = same ? 0 : this.misses + 1;
    if (same) this.current = same;
    const held = nowMs - this.since >= this.minPlayMs;
    const lost = this.misses >= this.missesToDrop;
    const clearlyBetter = same && best.track !== same.track
      && best.distance < this.switchRatio * same.distance;
    if (held && (lost || clearlyBetter)) return this.take(best, nowMs);
    return { window: this.current, switched: false };
  }

  take(window, nowMs) {
    this.current = window;
    this.since = nowMs;
    this.misses = 0;
    this.switches += 1;
    return { window, switched: true };
  }
}

/** GET /api/track for a track's frames, each asked for once. */
export class TrackFrames {
  constructor(fetchJson = (url) => fetch(url).then((r) => (r.ok ? r.json() : null))) {
    this.fetchJson = fetchJson;
    this.tracks = new Map();
  }

  get(track) {
    if (!this.tracks.has(track)) {
      const url = `/api/track?name=${encodeURIComponent(track)}`;
      this.tracks.set(track, this.fetchJson(url).then((body) => (body ? body.frames : []))
        .catch(() => []));
    }
    return this.tracks.get(track);
  }
}

// What the caption adds where a clip has no pictures, or its pose cannot be drawn on them.
export const NO_PICTURES = 'no pictures of this clip in the bank: its skeleton is shown';
export const POSE_NOT_PLACED = 'where the pose lies in these pictures is not known, so no '
  + 'skeleton is drawn on them';

/** The frame's pose over its picture drawn at (x, y, w, h): its image_pose (x and y as
 *  fractions of the picture) in canvas pixels; null where the frame has none. */
export function poseOnPicture(frame, x, y, w, h) {
  if (!frame.image_pose) return null;
  return frame.image_pose.map(([u, v, score]) => [x + u * w, y + v * h, score]);
}

export const LOADING = 'Loading the clip’s pictures…';

/** Where a frame's picture is: 'none' (the frame has none), 'loading', 'loaded' or 'failed'. */
function pictureState(image) {
  if (!image) return 'none';
  if (!image.complete) return 'loading';
  return image.naturalWidth ? 'loaded' : 'failed';
}

/** The panel while a frame's picture loads: no skeleton on black, which would look like a
 *  clip without pictures, but a placeholder that says so. */
function drawLoading(ctx, canvas) {
  const { width, height } = canvas;
  ctx.save();
  ctx.fillStyle = '#2a2a36';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#c9c9d6';
  ctx.font = `${Math.max(12, Math.round(width / 22))}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(width >= 300 ? LOADING : 'Loading…', width / 2, height / 2);
  ctx.restore();
}

/**
 * Draws one frame of a track into a canvas: its picture if it has one (with its pose over it
 * if `skeleton`), a placeholder while that picture loads, else its skeleton (no picture, or
 * one that failed). image: the frame's <img> (null: none); lineScale: the skeleton's lines
 * alone, against drawSkeleton's. Returns {skeleton: whether a skeleton was drawn over the
 * picture, loading}.
 */
function drawTrackFrame(ctx, canvas, frame, image, mirrored, skeleton = false, lineScale = 1) {
  const picture = pictureState(image);
  if (picture === 'loading') {
    drawLoading(ctx, canvas);
    return { skeleton: false, loading: true };
  }
  if (picture !== 'loaded') image = null;
  const { width, height } = canvas;
  let over = null;
  ctx.save();
  if (mirrored) {
    ctx.translate(width, 0);
    ctx.scale(-1, 1);
  }
  if (image) {
    const scale = Math.min(width / image.naturalWidth, height / image.naturalHeight);
    const w = image.naturalWidth * scale;
    const h = image.naturalHeight * scale;
    ctx.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
    // in the same (mirrored) transform: the pose flips with its picture
    over = skeleton ? poseOnPicture(frame, (width - w) / 2, (height - h) / 2, w, h) : null;
    if (over) drawSkeleton(canvas, over);
  } else {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, width, height);
    const scale = (lineScale * Math.max(width, height)) / 640; // as drawSkeleton's default
    drawSkeleton(canvas, fitted(frame.keypoints, width, height), { scale });
  }
  ctx.restore();
  return { skeleton: Boolean(over), loading: false };
}

/** The Movement mode's flipbook: a canvas that plays the chosen track. */
export class MovementPlayer {
  /** skeletonToggle: the "skeleton on the match" checkbox (none: always drawn) */
  constructor({ canvas, caption, frames = new TrackFrames(), skeletonToggle = null }) {
    Object.assign(this, { canvas, caption, frames, skeletonToggle });
    this.ctx = canvas.getContext('2d');
    this.choice = new MovementChoice();
    this.images = new Map();
    this.playing = null; // {window, frames, anchor}
    this.strips = null; // the Explore view's, drawn in the same animation frames
    this.fading = null; // {playing, untilMs}: the previous track, fading out
    this.shown = null; // what the tests look at: {track, time, frame, picture, skeleton}
    this.framesDrawn = 0;
    this.running = false;
    skeletonToggle?.addEventListener('change', () => {
      if (this.playing) {
        this.caption.textContent = caption(this.playing.window, this.playing.frames,
          this.skeletonWanted);
      }
    });
  }

  start() {
    if (this.running) return;
    this.running = true;
    const step = () => {
      if (!this.running) return;
      this.draw(performance.now());
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  stop() {
    this.running = false;
    this.choice.clear();
    this.playing = null;
    this.fading = null;
    this.shown = null;
  }

  /** Feed each stream reply's movement windows, and when the pose they match was seen. */
  async update(windows, seenMs = performance.now(), nowMs = performance.now()) {
    const { window, switched } = this.choice.update(windows, nowMs);
    if (!window) {
      this.playing = null;
      return;
    }
    if (!switched && this.playing && this.playing.window.track === window.track) {
      this.playing.window = window;
      this.playing.anchor = followed(this.playing.anchor, window, seenMs, nowMs);
      return;
    }
    const frames = await this.frames.get(window.track);
    if (this.choice.current !== window || !frames.length) return;
    if (this.playing) this.fading = { playing: this.playing, untilMs: nowMs + CROSSFADE_MS };
    this.playing = { window, frames, anchor: anchorOf(window, seenMs) };
    this.caption.textContent = caption(window, frames, this.skeletonWanted);
  }

  get skeletonWanted() {
    return !this.skeletonToggle || this.skeletonToggle.checked;
  }

  draw(nowMs) {
    const { ctx, canvas } = this;
    if (this.strips) this.strips.draw(nowMs, (url) => this.image(url));
    if (!this.playing) return;
    ctx.globalAlpha = 1;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const fade = this.fading && nowMs < this.fading.untilMs
      ? (this.fading.untilMs - nowMs) / CROSSFADE_MS : 0;
    if (fade > 0) {
      ctx.globalAlpha = fade;
      this.drawPlaying(this.fading.playing, nowMs);
    } else {
      this.fading = null;
    }
    ctx.globalAlpha = 1 - fade;
    const shown = this.drawPlaying(this.playing, nowMs);
    ctx.globalAlpha = 1;
    this.shown = shown;
    this.framesDrawn += 1;
  }

  drawPlaying(playing, nowMs) {
    const { frames, window } = playing;
    const t = Math.min(playTime(playing.anchor, nowMs), frames[frames.length - 1].time);
    const at = frameAt(frames, t);
    // the next frames' pictures load ahead of being shown; while one is still loading, the
    // nearest frame before it that has come stands in for it (no placeholder flashing)
    for (const next of frames.slice(at + 1, at + 1 + PREFETCH_FRAMES)) {
      if (next.thumbnail) this.image(next.thumbnail);
    }
    let frame = frames[at];
    if (frame.thumbnail) this.image(frame.thumbnail);
    for (let i = at; i >= Math.max(0, at - PREFETCH_FRAMES); i -= 1) {
      const url = frames[i].thumbnail;
      const picture = url ? this.images.get(url) : null; // only those already asked for
      if (!url || (picture && pictureState(picture) !== 'loading')) {
        frame = frames[i];
        break;
      }
    }
    const image = frame.thumbnail ? this.image(frame.thumbnail) : null;
    const { skeleton, loading } = drawTrackFrame(this.ctx, this.canvas, frame, image,
      window.mirrored, this.skeletonWanted);
    return { track: window.track, time: frame.time, frame: frame.id,
      picture: Boolean(frame.thumbnail), skeleton, loading, speed: window.speed,
      playSpeed: playing.anchor.speed };
  }

  image(url) {
    if (!this.images.has(url)) {
      const image = new Image();
      image.src = url;
      this.images.set(url, image);
      if (this.images.size > 600) this.images.delete(this.images.keys().next().value);
    }
    return this.images.get(url);
  }
}

function anchorOf(window, seenMs) {
  return { end: window.end, speed: window.speed, atMs: seenMs };
}

/**
 * The anchor after a new window of the track being played: playback goes on from where it
 * is (no jump) at a pace that meets the window within CATCH_UP_SECONDS, unless it is more
 * than JUMP_SECONDS off (you started the move over): then it jumps.
 */
export function followed(anchor, window, seenMs, nowMs) {
  const target = anchorOf(window, seenMs);
  const here = playTime(anchor, nowMs);
  const drift = here - playTime(target, nowMs);
  if (Math.abs(drift) > JUMP_SECONDS) return target;
  const speed = Math.min(2.5, Math.max(0.25, window.speed - drift / CATCH_UP_SECONDS));
  return { end: here, speed, atMs: nowMs };
}

/** The clip and the stretch of it a window is: "pose_1.mp4 · 0.5–1.5 s". */
function stretch(window) {
  // the file's name, as the still match's caption gives it (the server sends no path)
  const name = window.file || window.track;
  return `${name} · ${window.start.toFixed(1)}–${window.end.toFixed(1)} s`;
}

function caption(window, frames, skeletonWanted) {
  const parts = [stretch(window), `your pace ${window.speed.toFixed(2)}×`];
  if (window.credit) parts.push(window.credit);
  if (window.licence) parts.push(window.licence);
  if (!frames.some((frame) => frame.thumbnail)) parts.push(NO_PICTURES);
  else if (skeletonWanted && !frames.some((frame) => frame.image_pose)) {
    parts.push(POSE_NOT_PLACED);
  }
  return parts.join(' · ');
}

/**
 * The Explore view's strips: the best windows of your last two seconds, each a small canvas
 * looping its stretch of the track. Redrawn at most every STRIPS_EVERY_MS, so each can be
 * watched; only while the list is on screen.
 */
export const STRIPS_EVERY_MS = 1500;
const STRIP_SIDE = 120;
// Its skeleton's lines 2.5 x drawSkeleton's (about 2 px, not 0.75), as on Explore's cards.
const STRIP_LINE_SCALE = 2.5;

export class MovementStrips {
  constructor({ list, frames }) {
    Object.assign(this, { list, frames });
    this.strips = []; // {window, frames, canvas}
    this.renderedAt = -Infinity;
    this.renders = 0;
    this.player = null;
  }

  get visible() {
    return this.list.offsetParent !== null;
  }

  async render(windows, nowMs = performance.now()) {
    if (!this.visible || nowMs - this.renderedAt < STRIPS_EVERY_MS) return;
    this.renderedAt = nowMs;
    const strips = await Promise.all(windows.map(async (window, rank) => {
      const canvas = document.createElement('canvas');
      canvas.width = STRIP_SIDE;
      canvas.height = STRIP_SIDE;
      const item = document.createElement('li');
      item.dataset.track = window.track;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${stretch(window)}, looping`);
      const words = (...parts) => {
        const line = document.createElement('span');
        line.append(...parts);
        return line;
      };
      const rankOf = document.createElement('b');
      rankOf.textContent = `#${rank + 1}`;
      // no break inside "distance 3.376" (a 120 px strip wrapped "#10 · distance" before it)
      item.append(canvas, words(rankOf, ` · distance\u00a0${window.distance.toFixed(3)}`),
        words(`your pace ${window.speed.toFixed(2)}× the clip's`), words(stretch(window)));
      return { window, frames: await this.frames.get(window.track), canvas, item };
    }));
    this.strips = strips.filter((strip) => strip.frames.length);
    this.list.replaceChildren(...this.strips.map((strip) => strip.item));
    this.renders += 1;
  }

  draw(nowMs, images) {
    if (!this.visible) return;
    for (const { window, frames, canvas } of this.strips) {
      const span = Math.max(window.end - window.start, 1e-3);
      const t = window.start + ((nowMs / 1000) % span);
      const frame = frames[frameAt(frames, t)];
      const image = frame.thumbnail ? images(frame.thumbnail) : null;
      drawTrackFrame(canvas.getContext('2d'), canvas, frame, image, window.mirrored, false,
        STRIP_LINE_SCALE);
    }
  }
}

/**
 * The mode and its toggle: while on, queries ask for the movement match (fields()) and each
 * reply goes to the player (onReply()). The page shows the player instead of the still
 * flipbook once a track plays: body[data-movement] is "off", "on" or "playing".
 */
export class MovementMode {
  constructor({ toggle, canvas, caption, strips, skeletonToggle = null, messages = null,
    body = document.body }) {
    Object.assign(this, { toggle, body, messages });
    this.player = new MovementPlayer({ canvas, caption, skeletonToggle });
    this.strips = strips ? new MovementStrips({ list: strips, frames: this.player.frames })
      : null;
    this.player.strips = this.strips;
    this.enabled = false;
    toggle.addEventListener('click', () => this.set(!this.enabled));
    this.set(false);
  }

  set(on) {
    this.enabled = on;
    this.toggle.setAttribute('aria-pressed', String(on));
    this.body.dataset.movement = on ? 'on' : 'off';
    if (on) this.player.start();
    else this.player.stop();
    this.messages?.clear('movement');
  }

  /** What a query adds in this mode: the ask, and when its pose was seen (a camera frame's
   *  performance.now(); none for a photo, which is not a movement). */
  fields(seenMs) {
    if (!this.enabled || !Number.isFinite(seenMs)) return {};
    return { motion: true, time: +(seenMs / 1000).toFixed(4) };
  }

  /** A stream reply, for the pose seen at seenMs (performance.now()). */
  async onReply(reply, seenMs) {
    if (!this.enabled || !reply || reply.type !== 'matches' || !reply.motion) return;
    this.movementSeconds = reply.movement_s;
    if (reply.motion.length) this.messages?.clear('movement');
    else if (reply.movement_s >= NO_TRACKS_AFTER_S) this.messages?.show('movement', NO_TRACKS);
    if (this.strips) this.strips.render(reply.motion);
    await this.player.update(reply.motion, seenMs);
    if (this.enabled) this.body.dataset.movement = this.player.playing ? 'playing' : 'on';
  }

  /** What the tests and the console may look at. */
  get status() {
    return { enabled: this.enabled, movementSeconds: this.movementSeconds ?? 0,
      switches: this.player.choice.switches, framesDrawn: this.player.framesDrawn,
      strips: this.strips ? this.strips.strips.map((strip) => strip.window.track) : [],
      ...(this.player.shown || {}) };
  }
}
