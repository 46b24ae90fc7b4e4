// The GIF: a 3-2-1 countdown, about 5 seconds of the person beside their match, encoded
// on the device with gifenc. Nothing is uploaded.
import { applyPalette, GIFEncoder, quantize } from '/vendor/gifenc/gifenc.esm.js';

const PANEL = 240;

function drawCover(ctx, source, x, y, size, sourceWidth, sourceHeight, contain = false) {
  const scale = contain ? Math.min(size / sourceWidth, size / sourceHeight)
    : Math.max(size / sourceWidth, size / sourceHeight);
  const w = sourceWidth * scale;
  const h = sourceHeight * scale;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, size, size);
  ctx.clip();
  ctx.drawImage(source, x + (size - w) / 2, y + (size - h) / 2, w, h);
  ctx.restore();
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export class GifRecorder {
  constructor({ seconds = 5, fps = 10 } = {}) {
    Object.assign(this, { seconds, fps });
    this.busy = false;
  }

  /**
   * person: the canvas showing the person; matchImage(): the <img> of the current match or
   * null. Returns a Blob of an animated GIF.
   */
  async record({ person, matchImage, onCountdown = () => {}, onProgress = () => {} }) {
    if (this.busy) throw new Error('already recording');
    this.busy = true;
    try {
      for (const n of [3, 2, 1]) {
        onCountdown(n);
        await sleep(1000);
      }
      onCountdown(0);
      const frames = await this.capture(person, matchImage, onProgress);
      onCountdown(null);
      return await this.encode(frames, onProgress);
    } finally {
      this.busy = false;
    }
  }

  async capture(person, matchImage, onProgress) {
    const canvas = document.createElement('canvas');
    canvas.width = PANEL * 2;
    canvas.height = PANEL;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const count = Math.round(this.seconds * this.fps);
    const frames = [];
    const start = performance.now();
    for (let i = 0; i < count; i += 1) {
      await sleep(Math.max(0, start + (i * 1000) / this.fps - performance.now()));
      ctx.fillStyle = '#111';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (person.width) drawCover(ctx, person, 0, 0, PANEL, person.width, person.height);
      const img = matchImage();
      if (img && img.complete && img.naturalWidth) {
        if (img.classList.contains('flipped')) {
          ctx.save();
          ctx.translate(PANEL * 3, 0);
          ctx.scale(-1, 1);
          drawCover(ctx, img, PANEL, 0, PANEL, img.naturalWidth, img.naturalHeight, true);
          ctx.restore();
        } else {
          drawCover(ctx, img, PANEL, 0, PANEL, img.naturalWidth, img.naturalHeight, true);
        }
      }
      frames.push(ctx.getImageData(0, 0, canvas.width, canvas.height));
      onProgress((i + 1) / count, 'Recording');
    }
    return frames;
  }

  async encode(frames, onProgress) {
    const gif = GIFEncoder();
    const delay = Math.round(1000 / this.fps);
    for (let i = 0; i < frames.length; i += 1) {
      const { data, width, height } = frames[i];
      const palette = quantize(data, 256);
      gif.writeFrame(applyPalette(data, palette), width, height, { palette, delay, repeat: 0 });
      onProgress((i + 1) / frames.length, 'Making the GIF');
      if (i % 5 === 4) await sleep(0); // keep the page responsive
    }
    gif.finish();
    return new Blob([gif.bytes()], { type: 'image/gif' });
  }
}
