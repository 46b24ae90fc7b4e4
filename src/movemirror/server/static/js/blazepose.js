// BlazePose GHUM (Full, Heavy) as the Python side runs it (movemirror.pose.blazepose): 33
// landmarks on an upright window of one person, refined by the heatmap, given as COCO-17.
// BlazePose must be told where the body is: the first window comes from a MoveNet Lightning
// pose; on video each later frame's window comes from the previous BlazePose output's
// auxiliary landmarks (hip centre and body scale), as MediaPipe tracks, and Lightning seeds
// again when BlazePose says the pose is lost.
/* global tf */
import { makeCanvas } from './crop.js';
import { refineWithHeatmap } from './heatmap.js';
import { isGoodPose } from './keypoints.js';
import { angleUp, drawWindow, toImage, uprightBodyWindow } from './upright_window.js';

// BlazePose landmark of each COCO keypoint (keypoints.js KEYPOINT_NAMES order).
export const BLAZEPOSE_TO_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];
const HIP_CENTRE = 33;
const BODY_SCALE = 34;
const LANDMARKS = 39;
// The next window's half side, in multiples of |BODY_SCALE - HIP_CENTRE| (MediaPipe: 1.25).
const WINDOW_SCALE = 1.25;
// Passes on a still image: the seed's window, then the one BlazePose proposes (Python's PASSES).
const STILL_PASSES = 2;
// Below this pose flag BlazePose has lost the person (MediaPipe's threshold).
const MIN_POSE_FLAG = 0.5;
const OUTPUTS = ['ld_3d', 'activation_heatmap', 'output_poseflag'];

const sigmoid = (x) => 1 / (1 + Math.exp(-Math.max(-60, Math.min(60, x))));

/** The graph's node name of each named output (the order differs between Full and Heavy). */
function outputNodes(model) {
  const outputs = model.modelSignature?.outputs || {};
  return OUTPUTS.map((name) => {
    if (!outputs[name]) throw new Error(`the BlazePose model has no output ${name}`);
    return outputs[name].name;
  });
}

/** Raw landmarks (flat 39 x 5: x, y in window pixels, z, visibility and presence logits) of
 * `window` -> COCO keypoints [[x, y, score] x 17] in image pixels. */
export function landmarksToCoco(landmarks, window, inputSize) {
  return BLAZEPOSE_TO_COCO.map((i) => {
    const [x, y] = toImage(window, landmarks[5 * i] / inputSize, landmarks[5 * i + 1] / inputSize);
    return [x, y, sigmoid(landmarks[5 * i + 3])];
  });
}

/** The window for the next pass or frame, from the auxiliary landmarks. */
export function trackingWindow(landmarks, window, inputSize) {
  const at = (i) => toImage(window, landmarks[5 * i] / inputSize,
    landmarks[5 * i + 1] / inputSize);
  const [cx, cy] = at(HIP_CENTRE);
  const [sx, sy] = at(BODY_SCALE);
  const radius = Math.hypot(sx - cx, sy - cy);
  return { cx, cy, size: 2 * radius * WINDOW_SCALE, angle: angleUp(sx - cx, sy - cy) };
}

export class BlazePose {
  /** model: the BlazePose graph model; seed: a MoveNet (Lightning) estimator that finds the
   * body when there is no window to track. */
  constructor(model, inputSize, seed) {
    this.model = model;
    this.inputSize = inputSize;
    this.seed = seed;
    this.outputs = outputNodes(model);
    this.canvas = makeCanvas(inputSize, inputSize);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    this.window = null; // where the next camera frame is looked at, while tracking
    this.frames = { tracked: 0, seeded: 0 }; // camera frames by where their window came from
    this.lastTiming = null;
  }

  reset() {
    this.window = null;
    this.seed.reset();
  }

  dispose() {
    this.model.dispose();
    this.seed.dispose();
  }

  /**
   * Keypoints [[x, y, score] x 17] in pixels of a camera frame. While tracking, one pass on
   * the window the previous frame proposed; otherwise Lightning finds the body (on `crop`,
   * the page's guess of where the person is, or the whole frame) and BlazePose looks there.
   * Nobody for Lightning is nobody: its keypoints are returned as they are.
   */
  async estimate(source, width, height, { track = true, crop = null } = {}) {
    const start = performance.now();
    let seedResizeMs = 0;
    let result = track && this.window ? await this.run(source, this.window) : null;
    if (result && result.poseFlag >= MIN_POSE_FLAG) {
      this.frames.tracked += 1;
    } else {
      this.frames.seeded += 1;
      const seed = await this.seed.estimate(source, width, height,
        crop ? { crop } : { track: false });
      seedResizeMs = this.seed.lastTiming.resizeMs;
      if (!isGoodPose(seed)) {
        this.window = null;
        this.lastTiming = this.seed.lastTiming;
        return seed;
      }
      result = await this.run(source, uprightBodyWindow(seed));
      if (!track) result = await this.passes(source, result, STILL_PASSES - 1);
    }
    this.window = track && result.poseFlag >= MIN_POSE_FLAG ? result.next : null;
    const resizeMs = result.resizeMs + seedResizeMs; // the last pass's window and the seed's
    this.lastTiming = { resizeMs, inferMs: performance.now() - start - resizeMs };
    return result.keypoints;
  }

  /** A still image as Python's `crop` mode with BlazePose: Lightning's two passes (whole
   * image, then a crop around what it found), then BlazePose on the upright window around
   * that pose and once more on the window it proposes. */
  async estimateStill(source, width, height) {
    const seed = await this.seed.estimateStill(source, width, height);
    if (!isGoodPose(seed)) return seed;
    return (await this.trackFrom(source, seed)).keypoints;
  }

  /** BlazePose from a seed pose (STILL_PASSES passes): {keypoints, next, poseFlag}. */
  async trackFrom(source, seed, passes = STILL_PASSES) {
    const first = await this.run(source, uprightBodyWindow(seed));
    return this.passes(source, first, passes - 1);
  }

  async passes(source, result, more) {
    let out = result;
    for (let i = 0; i < more; i += 1) out = await this.run(source, out.next);
    return out;
  }

  /** What a tracked camera frame costs: one pass on a window (for the backend trials). */
  probe(source, width, height) {
    const side = Math.min(width, height);
    return this.run(source, { cx: width / 2, cy: height / 2, size: side, angle: 0 });
  }

  /** One pass on `window`: {keypoints, next, poseFlag, resizeMs}. */
  async run(source, window) {
    const start = performance.now();
    drawWindow(this.ctx, source, window, this.inputSize);
    const resizeMs = performance.now() - start;
    const outputs = tf.tidy(() => {
      const input = tf.browser.fromPixels(this.canvas).toFloat().div(255).expandDims(0);
      return this.model.execute(input, this.outputs);
    });
    const [raw, heatmap, flag] = await Promise.all(outputs.map((t) => t.data()));
    const shape = outputs[1].shape.slice(1);
    tf.dispose(outputs);
    const size = this.inputSize;
    const landmarks = Float64Array.from(raw.subarray(0, 5 * LANDMARKS));
    const xy = [];
    for (let i = 0; i < LANDMARKS; i += 1) xy.push([landmarks[5 * i] / size,
      landmarks[5 * i + 1] / size]);
    // The TF.js graph already applies the sigmoid to the heatmap.
    refineWithHeatmap(xy, heatmap, shape).forEach(([x, y], i) => {
      landmarks[5 * i] = x * size;
      landmarks[5 * i + 1] = y * size;
    });
    return {
      keypoints: landmarksToCoco(landmarks, window, size),
      next: trackingWindow(landmarks, window, size),
      poseFlag: flag[0],
      resizeMs,
    };
  }
}
