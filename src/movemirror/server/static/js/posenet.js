// PoseNet (MobileNetV1, output stride 16), the seed's model: single-pose decoding, the
// strongest heatmap cell of each keypoint refined by its offset vector.
/* global tf */
import { CropCanvas, fullFrameCrop } from './crop.js';

const STRIDE = 16;
const HEATMAP = 'MobilenetV1/heatmap_2/BiasAdd:0';
const OFFSETS = 'MobilenetV1/offset_2/BiasAdd:0';

export class PoseNet {
  constructor(model, inputSize = 385) {
    this.model = model;
    this.inputSize = inputSize;
    this.input = new CropCanvas(inputSize);
    this.lastTiming = null;
  }

  dispose() {
    this.model.dispose();
  }

  reset() {}

  async estimate(source, width, height) {
    const size = this.inputSize;
    const crop = fullFrameCrop(width, height);
    const start = performance.now();
    const pixels = this.input.draw(source, width, height, crop);
    const resized = performance.now();
    const [heatmap, offsets] = tf.tidy(() => {
      const input = tf.browser.fromPixels(pixels).toFloat().div(127.5).sub(1).expandDims(0);
      const [h, o] = this.model.execute(input, [HEATMAP, OFFSETS]);
      return [h.sigmoid(), o];
    });
    const [scores, shifts] = await Promise.all([heatmap.data(), offsets.data()]);
    const [, rows, cols] = heatmap.shape;
    tf.dispose([heatmap, offsets]);
    this.lastTiming = { resizeMs: resized - start, inferMs: performance.now() - resized };
    const keypoints = [];
    for (let k = 0; k < 17; k += 1) {
      let best = -1;
      let bestCell = 0;
      for (let cell = 0; cell < rows * cols; cell += 1) {
        if (scores[cell * 17 + k] > best) {
          best = scores[cell * 17 + k];
          bestCell = cell;
        }
      }
      const row = Math.floor(bestCell / cols);
      const col = bestCell % cols;
      const y = (row * STRIDE + shifts[bestCell * 34 + k]) / size;
      const x = (col * STRIDE + shifts[bestCell * 34 + 17 + k]) / size;
      keypoints.push([
        (crop.xMin + x * (crop.xMax - crop.xMin)) * width,
        (crop.yMin + y * (crop.yMax - crop.yMin)) * height,
        best,
      ]);
    }
    return keypoints;
  }

  estimateStill(source, width, height) {
    return this.estimate(source, width, height);
  }
}
