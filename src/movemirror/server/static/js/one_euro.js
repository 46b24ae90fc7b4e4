// The one-euro filter (Casiez et al. 2012), as tfjs-models smooths keypoints over time:
// steady when still (low cut-off), responsive when moving (cut-off rises with speed).

function smoothingFactor(elapsed, cutoff) {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / elapsed);
}

// For coordinates in frame units (0..1) at camera rate: a still person's jitter is more than
// halved, and a quick move (0.3 of the frame in 0.2 s) is followed within a frame or two.
export const DEFAULT_OPTIONS = { minCutoff: 1, beta: 5, derivateCutoff: 1 };

export class OneEuroFilter {
  constructor({ minCutoff, beta, derivateCutoff } = DEFAULT_OPTIONS) {
    Object.assign(this, { minCutoff, beta, derivateCutoff });
    this.reset();
  }

  reset() {
    this.value = null;
    this.derivative = 0;
    this.time = null;
  }

  /** The filtered value of `value` observed at `time` seconds. */
  filter(value, time) {
    if (this.value === null || time <= this.time) {
      if (this.value === null) this.value = value;
      this.time = time;
      return this.value;
    }
    const elapsed = time - this.time;
    const rawDerivative = (value - this.value) / elapsed;
    const a = smoothingFactor(elapsed, this.derivateCutoff);
    this.derivative = a * rawDerivative + (1 - a) * this.derivative;
    const cutoff = this.minCutoff + this.beta * Math.abs(this.derivative);
    const b = smoothingFactor(elapsed, cutoff);
    this.value = b * value + (1 - b) * this.value;
    this.time = time;
    return this.value;
  }
}

/**
 * Filters 17 keypoints. Coordinates are filtered normalised by the frame size, so the
 * settings hold for any camera resolution; scores pass through unfiltered.
 */
export class KeypointsFilter {
  constructor(options = DEFAULT_OPTIONS) {
    this.options = options;
    this.filters = null;
  }

  reset() {
    this.filters = null;
  }

  apply(keypoints, width, height, timeSeconds) {
    if (!this.filters) {
      this.filters = keypoints.map(() => [new OneEuroFilter(this.options),
        new OneEuroFilter(this.options)]);
    }
    return keypoints.map(([x, y, score], i) => [
      this.filters[i][0].filter(x / width, timeSeconds) * width,
      this.filters[i][1].filter(y / height, timeSeconds) * height,
      score,
    ]);
  }
}
