// MoveNet single-pose (Lightning 192 px, Thunder 256 px): crop, resize, run, map back.
/* global tf */
import { CropCanvas, cropAround, fullFrameCrop } from './crop.js';

export class MoveNet {
  constructor(model, inputSize) {
    this.model = model;
    this.inputSize = inputSize;
    this.input = new CropCanvas(inputSize);
    this.previous = null;
    this.lastTiming = null;
  }

  dispose() {
    this.model.dispose();
  }

  reset() {
    this.previous = null;
  }

  /**
   * Keypoints [[x, y, score] x 17] in pixels of `source` (video, image or canvas). The crop is
   * around the pose found in the frame before (track), the whole frame, or given by the caller
   * (the page's worker loop, whose frames go to several workers, tracks the person itself).
   */
  async estimate(source, width, height, { track = true, crop = null } = {}) {
    if (crop) return this.run(source, width, height, crop);
    const around = track ? cropAround(this.previous, width, height)
      : fullFrameCrop(width, height);
    const keypoints = await this.run(source, width, height, around);
    this.previous = track ? keypoints : null;
    return keypoints;
  }

  /** A still image: a pass on the whole image, then one on a crop around what it found. */
  async estimateStill(source, width, height) {
    const first = await this.run(source, width, height, fullFrameCrop(width, height));
    return this.run(source, width, height, cropAround(first, width, height));
  }

  async run(source, width, height, crop) {
    const start = performance.now();
    const pixels = this.input.draw(source, width, height, crop);
    const resized = performance.now();
    const output = tf.tidy(() => this.model.execute(tf.browser.fromPixels(pixels).expandDims(0)));
    const values = await output.data();
    output.dispose();
    // Where the time went, for the page's frame timings: crop and resize, then the model.
    this.lastTiming = { resizeMs: resized - start, inferMs: performance.now() - resized };
    const keypoints = [];
    for (let i = 0; i < 17; i += 1) {
      const y = crop.yMin + values[3 * i] * (crop.yMax - crop.yMin);
      const x = crop.xMin + values[3 * i + 1] * (crop.xMax - crop.xMin);
      keypoints.push([x * width, y * height, values[3 * i + 2]]);
    }
    return keypoints;
  }
}
