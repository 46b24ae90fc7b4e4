// Encodes the GIF in a Web Worker while it is recorded, so the camera loop on the page keeps
// its rate and the GIF is ready soon after the last frame. One palette for the whole GIF
// (quantised from its first second), with few colours, and after the first frame only the
// pixels that changed: a small file that does not flicker.
//
// Messages in: {start: {width, height, colors}}, {frame: ArrayBuffer (RGBA), delay}, {finish}.
// Out: {encoded: n} per frame, then {bytes} or {error}.
import { applyPalette, GIFEncoder, quantize } from '/vendor/gifenc/gifenc.esm.js';

const PALETTE_FRAMES = 10; // the palette is made from the first second (at 10 fps)
const SAMPLE_STEP = 3; // every third pixel of those frames feeds it

/** RGBA pixels sampled from `frames`, for one shared palette. */
function paletteSample(frames) {
  const sample = new Uint8Array(frames.reduce((n, f) => n + Math.ceil(f.length / 4 / SAMPLE_STEP)
    * 4, 0));
  let at = 0;
  for (const frame of frames) {
    for (let p = 0; p < frame.length; p += 4 * SAMPLE_STEP) {
      sample.set(frame.subarray(p, p + 4), at);
      at += 4;
    }
  }
  return sample.subarray(0, at);
}

/** The frame's indices, with every pixel that kept its colour since `previous` made
 * transparent: the earlier frame shows through, and long runs of one index compress well. */
function onlyChanges(indices, previous, transparent) {
  const out = new Uint8Array(indices.length);
  for (let p = 0; p < indices.length; p += 1) {
    out[p] = indices[p] === previous[p] ? transparent : indices[p];
  }
  return out;
}

class Encoder {
  constructor({ width, height, colors }) {
    Object.assign(this, { width, height, colors });
    this.waiting = []; // frames received before the palette exists
    this.palette = null;
    this.previous = null;
    this.encoded = 0;
    this.gif = GIFEncoder();
  }

  add(rgba, delay) {
    this.waiting.push({ rgba, delay });
    if (!this.palette && this.waiting.length >= PALETTE_FRAMES) this.makePalette();
    if (this.palette) this.flush();
  }

  makePalette() {
    const palette = quantize(paletteSample(this.waiting.map((f) => f.rgba)), this.colors - 1);
    this.transparent = palette.length;
    this.colours = palette.slice();
    palette.push([0, 0, 0]); // the slot of "unchanged", never drawn
    this.palette = palette;
  }

  flush() {
    const { width, height } = this;
    for (const { rgba, delay } of this.waiting) {
      const indices = applyPalette(rgba, this.colours);
      // dispose 1: each frame is drawn over the one before, which stays.
      const options = { delay, dispose: 1 };
      if (!this.previous) {
        this.gif.writeFrame(indices, width, height, { ...options, palette: this.palette,
          repeat: 0 });
      } else {
        this.gif.writeFrame(onlyChanges(indices, this.previous, this.transparent), width,
          height, { ...options, transparent: true, transparentIndex: this.transparent });
      }
      this.previous = indices;
      this.encoded += 1;
      self.postMessage({ encoded: this.encoded });
    }
    this.waiting = [];
  }

  finish() {
    if (!this.palette) this.makePalette();
    this.flush();
    this.gif.finish();
    return this.gif.bytes();
  }
}

let encoder = null;
self.onmessage = ({ data }) => {
  try {
    if (data.start) {
      encoder = new Encoder(data.start);
    } else if (data.frame) {
      encoder.add(new Uint8Array(data.frame), data.delay);
    } else if (data.finish) {
      const bytes = encoder.finish();
      self.postMessage({ bytes }, [bytes.buffer]);
    }
  } catch (error) {
    self.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};
