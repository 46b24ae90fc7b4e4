// The GIF: a 3-2-1 countdown, about 5 seconds of the person beside their match, encoded on
// the device in a Web Worker (gif_worker.js) so the camera loop keeps its rate. The match's
// credit is written on the last frame. Nothing is uploaded.

const PANEL = 240;
const COLORS = 64; // one palette of 64 colours for the whole GIF
const CREDIT_HOLD_MS = 2000; // the last frame, with the credit, stays up long enough to read

/** Draws `sources` (a picture, then what lies over it on screen, all at its aspect) into the
 * size x size square at (x, y), covering it or, with `contain`, whole within it. */
function drawCover(ctx, sources, x, y, size, sourceWidth, sourceHeight, contain = false) {
  const scale = contain ? Math.min(size / sourceWidth, size / sourceHeight)
    : Math.max(size / sourceWidth, size / sourceHeight);
  const w = sourceWidth * scale;
  const h = sourceHeight * scale;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, size, size);
  ctx.clip();
  for (const source of sources) ctx.drawImage(source, x + (size - w) / 2, y + (size - h) / 2, w, h);
  ctx.restore();
}

/** The pixel size of an <img> once loaded, or of a <canvas>; [0, 0] for nothing to draw. */
function sizeOf(source) {
  if (source instanceof HTMLCanvasElement) return [source.width, source.height];
  if (source && source.complete) return [source.naturalWidth, source.naturalHeight];
  return [0, 0];
}

/** Lines of `text` no wider than `width` at the context's font, breaking between words. */
function wrap(ctx, text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The credit on a dark band across the bottom of the frame, in as many lines as it needs. */
function drawCredit(ctx, text, width, height) {
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  const lines = wrap(ctx, text, width - 16);
  const lineHeight = 14;
  const band = lines.length * lineHeight + 8;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.78)';
  ctx.fillRect(0, height - band, width, band);
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, 8, height - band + 4 + i * lineHeight));
  ctx.restore();
}

/** A frame's delay in the GIF (ms): how long it stood before the next was taken, in GIF's
 * 10 ms steps, at least one step. */
export function frameDelayMs(takenAt, nextTakenAt) {
  return Math.max(10, Math.round((nextTakenAt - takenAt) / 10) * 10);
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export class GifRecorder {
  constructor({ seconds = 5, fps = 10, workerUrl = new URL('./gif_worker.js', import.meta.url) }
  = {}) {
    Object.assign(this, { seconds, fps, workerUrl });
    this.busy = false;
  }

  /**
   * person: the canvas showing the person; matchImage(): the <img> of the current match (or
   * the <canvas> of a match drawn as its skeleton) or null; matchSkeleton(): the canvas laid
   * over that picture on screen ("skeleton on the match"; drawn over it in the GIF unless
   * hidden) or null; credit(): the match's credit line or null. Returns a Blob of an
   * animated GIF.
   */
  async record({ person, matchImage, matchSkeleton = () => null, credit = () => null,
    onCountdown = () => {}, onProgress = () => {} }) {
    if (this.busy) throw new Error('already recording');
    this.busy = true;
    try {
      for (const n of [3, 2, 1]) {
        onCountdown(n);
        await sleep(1000);
      }
      onCountdown(0);
      const encoding = new WorkerEncoder(this.workerUrl, PANEL * 2, PANEL);
      const count = await this.capture(person, matchImage, credit, onProgress, encoding,
        matchSkeleton);
      onCountdown(null);
      return await encoding.finish(count, onProgress);
    } finally {
      this.busy = false;
    }
  }

  /** Draws each frame and hands it to the encoder once the next is taken; returns how many
   * there were. */
  async capture(person, matchImage, credit, onProgress, encoding, matchSkeleton = () => null) {
    const canvas = document.createElement('canvas');
    canvas.width = PANEL * 2;
    canvas.height = PANEL;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const count = Math.round(this.seconds * this.fps);
    const start = performance.now();
    // A frame goes to the encoder once the next is taken, so that its delay is the time it
    // really stood for: on a busy device the GIF plays at the speed it was recorded.
    let held = null;
    for (let i = 0; i < count; i += 1) {
      await sleep(Math.max(0, start + (i * 1000) / this.fps - performance.now()));
      const takenAt = performance.now();
      if (held) encoding.add(held.image, frameDelayMs(held.takenAt, takenAt));
      ctx.fillStyle = '#111';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (person.width) drawCover(ctx, [person], 0, 0, PANEL, person.width, person.height);
      const img = matchImage(); // a picture, or a canvas drawn for a match without one
      const [w, h] = sizeOf(img);
      if (w && h) {
        // the skeleton over it as on screen: the canvas covers the picture's frame exactly
        const over = matchSkeleton();
        const shown = over && !over.hidden && over !== img && over.width ? [img, over] : [img];
        if (img.closest('.flipped')) { // shown flipped (the mirror view flips its frame)
          ctx.save();
          ctx.translate(PANEL * 3, 0);
          ctx.scale(-1, 1);
          drawCover(ctx, shown, PANEL, 0, PANEL, w, h, true);
          ctx.restore();
        } else {
          drawCover(ctx, shown, PANEL, 0, PANEL, w, h, true);
        }
      }
      const last = i === count - 1;
      const line = last ? credit() : null;
      if (line) drawCredit(ctx, line, canvas.width, canvas.height);
      held = { image: ctx.getImageData(0, 0, canvas.width, canvas.height), takenAt };
      if (last) encoding.add(held.image, line ? CREDIT_HOLD_MS : Math.round(1000 / this.fps));
      onProgress((i + 1) / count, 'Recording');
    }
    return count;
  }
}

/** The GIF worker (gif_worker.js): frames go to it as they are drawn, their pixels handed
 * over, not copied. */
class WorkerEncoder {
  constructor(url, width, height) {
    this.worker = new Worker(url, { type: 'module' });
    this.encoded = 0;
    this.onEncoded = () => {};
    this.result = new Promise((resolve, reject) => {
      this.worker.onmessage = ({ data }) => {
        if (data.encoded !== undefined) {
          this.encoded = data.encoded;
          this.onEncoded();
        } else if (data.error) {
          reject(new Error(data.error));
        } else {
          resolve(new Blob([data.bytes], { type: 'image/gif' }));
        }
      };
      this.worker.onerror = (event) => reject(new Error(event.message || 'the GIF worker failed'));
    });
    this.result.catch(() => {}).finally(() => this.worker.terminate());
    this.worker.postMessage({ start: { width, height, colors: COLORS } });
  }

  add(image, delay) {
    this.worker.postMessage({ frame: image.data.buffer, delay }, [image.data.buffer]);
  }

  finish(count, onProgress) {
    this.onEncoded = () => onProgress(this.encoded / count, 'Making the GIF');
    this.onEncoded();
    this.worker.postMessage({ finish: true });
    return this.result;
  }
}
