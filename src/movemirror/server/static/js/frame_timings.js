// Where each camera frame's time goes, kept over the last few seconds for the footer, the
// tests and `movemirror bench page`. All times in milliseconds.

// grab: the camera frame into an ImageBitmap for the worker (0 on the main-thread loop);
// wait: grabbed, until the worker was free (it was estimating the frame before); resize: crop
// and scale to the model's input; infer: the model and reading its output; transfer: the frame
// to the worker and the keypoints back (the round trip less the worker's own time); draw: the
// frame and the skeleton onto the page; send: handing the keypoints to the socket;
// latency: from the camera's capture of the frame to its skeleton drawn on the page.
export const STAGES = ['grab', 'wait', 'resize', 'infer', 'transfer', 'draw', 'send', 'latency'];

/** The q-quantile (0..1) of `values` by linear interpolation between order statistics. */
export function quantile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export class FrameTimings {
  constructor(keep = 300) {
    this.keep = keep;
    this.clear();
  }

  clear() {
    this.samples = Object.fromEntries(STAGES.map((stage) => [stage, []]));
    this.frames = 0;
  }

  /** One frame's times, {stage: ms}; stages it did not go through are left out. */
  add(frame) {
    this.frames += 1;
    for (const stage of STAGES) {
      const value = frame[stage];
      if (value === undefined || value === null || !Number.isFinite(value)) continue;
      const list = this.samples[stage];
      list.push(value);
      if (list.length > this.keep) list.shift();
    }
  }

  /** {stage: {mean, p50, p95, n}} over the frames kept. */
  summary() {
    const out = {};
    for (const stage of STAGES) {
      const list = this.samples[stage];
      if (!list.length) continue;
      out[stage] = {
        mean: list.reduce((a, b) => a + b, 0) / list.length,
        p50: quantile(list, 0.5),
        p95: quantile(list, 0.95),
        n: list.length,
      };
    }
    return out;
  }
}
