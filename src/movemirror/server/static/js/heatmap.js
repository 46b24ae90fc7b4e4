// Heatmap refinement of landmark positions (movemirror.pose.heatmap, MediaPipe's
// RefineLandmarksFromHeatmapCalculator): each landmark moves to the confidence-weighted centre
// of a small window of its own heatmap channel, when that window holds a confident peak.

/**
 * xy: [[x, y] x N] in 0..1 of the crop; heatmap: flat (H, W, C) confidences 0..1 (C >= N).
 * Returns the refined [[x, y] x N]; landmarks outside the crop or without a peak of at least
 * minConfidence in their window keep their position.
 */
export function refineWithHeatmap(xy, heatmap, [height, width, channels],
  { kernel = 7, minConfidence = 0.5 } = {}) {
  if (channels < xy.length) {
    throw new Error(`heatmap has ${channels} channels for ${xy.length} landmarks`);
  }
  const half = Math.floor((kernel - 1) / 2);
  return xy.map(([x, y], i) => {
    const col = Math.floor(x * width);
    const row = Math.floor(y * height);
    if (!(col >= 0 && col < width && row >= 0 && row < height)) return [x, y];
    let total = 0;
    let peak = -Infinity;
    let sumCol = 0;
    let sumRow = 0;
    for (let r = Math.max(0, row - half); r < Math.min(height, row + half + 1); r += 1) {
      for (let c = Math.max(0, col - half); c < Math.min(width, col + half + 1); c += 1) {
        const value = heatmap[(r * width + c) * channels + i];
        total += value;
        peak = Math.max(peak, value);
        sumCol += c * value;
        sumRow += r * value;
      }
    }
    if (peak < minConfidence || total <= 0) return [x, y];
    return [(sumCol / total + 0.5) / width, (sumRow / total + 0.5) / height];
  });
}
