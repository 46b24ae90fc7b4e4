// Encodes the GIF in a Web Worker, so the camera loop on the page keeps its rate meanwhile.
// One palette for the whole GIF (quantised from frames spread over it), with few colours,
// and after the first frame only the pixels that changed: a small file that does not flicker.
import { applyPalette, GIFEncoder, quantize } from '/vendor/gifenc/gifenc.esm.js';

const SAMPLE_FRAMES = 8;
const SAMPLE_STEP = 5; // every fifth pixel of the sampled frames feeds the palette

/** RGBA pixels drawn from frames spread over the whole clip, for one shared palette. */
function paletteSample(frames) {
  const chosen = [];
  const stride = Math.max(1, Math.floor(frames.length / SAMPLE_FRAMES));
  for (let i = 0; i < frames.length; i += stride) chosen.push(frames[i]);
  const last = frames[frames.length - 1];
  if (!chosen.includes(last)) chosen.push(last); // the credit's text is in the last frame
  const pixelsPerFrame = Math.ceil(chosen[0].length / 4 / SAMPLE_STEP);
  const sample = new Uint8Array(chosen.length * pixelsPerFrame * 4);
  let at = 0;
  for (const frame of chosen) {
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

self.onmessage = ({ data }) => {
  const { width, height, delays, colors } = data;
  const frames = data.frames.map((buffer) => new Uint8Array(buffer));
  try {
    const palette = quantize(paletteSample(frames), colors - 1);
    const transparent = palette.length;
    palette.push([0, 0, 0]); // the slot of "unchanged", never drawn
    const gif = GIFEncoder();
    let previous = null;
    frames.forEach((rgba, i) => {
      const indices = applyPalette(rgba, palette.slice(0, transparent));
      // dispose 1: each frame is drawn over the one before, which stays.
      const options = { delay: delays[i], dispose: 1 };
      if (i === 0) {
        gif.writeFrame(indices, width, height, { ...options, palette, repeat: 0 });
      } else {
        gif.writeFrame(onlyChanges(indices, previous, transparent), width, height,
          { ...options, transparent: true, transparentIndex: transparent });
      }
      previous = indices;
      self.postMessage({ progress: (i + 1) / frames.length });
    });
    gif.finish();
    const bytes = gif.bytes();
    self.postMessage({ bytes }, [bytes.buffer]);
  } catch (error) {
    self.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};
