// BlazePose's window on the image: a square centred on the hips and turned so the torso stands
// upright in it (movemirror.pose.crops: CropTransform, upright_body_crop, crop_pixels). A
// window is {cx, cy, size, angle}: centre and side in image pixels, angle in degrees
// (counter-clockwise as the model sees it).
import { KEYPOINT_INDEX } from './keypoints.js';

export const MIN_WINDOW_SCORE = 0.2; // keypoints below this score do not shape a window
const TORSO = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip']
  .map((name) => KEYPOINT_INDEX[name]);

/** The window angle at which image direction (dx, dy) points up. */
export function angleUp(dx, dy) {
  return (Math.atan2(dx, -dy) * 180) / Math.PI;
}

/** The affine map from window coordinates (u, v in 0..1) to image pixels:
 * x = a u + b v + e, y = c u + d v + f. */
export function windowMatrix({ cx, cy, size, angle }) {
  const theta = (angle * Math.PI) / 180;
  const a = Math.cos(theta) * size;
  const b = -Math.sin(theta) * size;
  const c = Math.sin(theta) * size;
  const d = Math.cos(theta) * size;
  return { a, b, c, d, e: cx - (a + b) / 2, f: cy - (c + d) / 2 };
}

/** Window coordinates (u, v in 0..1) -> [x, y] in image pixels. */
export function toImage(window, u, v) {
  const { a, b, c, d, e, f } = windowMatrix(window);
  return [a * u + b * v + e, c * u + d * v + f];
}

/**
 * The window around a pose (keypoints [[x, y, score] x 17] in pixels): centred on the hips,
 * turned so the torso is upright, its half side `scale` x the farthest confident keypoint from
 * the hips and at least 1.2 x the torso's length.
 */
export function uprightBodyWindow(keypoints, minScore = MIN_WINDOW_SCORE, scale = 1.25) {
  const [ls, rs, lh, rh] = TORSO.map((i) => keypoints[i]);
  const hips = [(lh[0] + rh[0]) / 2, (lh[1] + rh[1]) / 2];
  const torso = [(ls[0] + rs[0]) / 2 - hips[0], (ls[1] + rs[1]) / 2 - hips[1]];
  let shaping = keypoints.filter(([, , s]) => s >= minScore);
  if (shaping.length < 3) shaping = keypoints;
  let reach = Math.max(...shaping.map(([x, y]) => Math.hypot(x - hips[0], y - hips[1])));
  reach = Math.max(reach, 1.2 * Math.hypot(torso[0], torso[1]), 8);
  return { cx: hips[0], cy: hips[1], size: 2 * reach * scale, angle: angleUp(torso[0], torso[1]) };
}

/**
 * Draws `window` of `source` (width x height pixels) into ctx's outSize x outSize canvas,
 * black outside the source: canvas pixel p shows image point M(p / outSize).
 */
export function drawWindow(ctx, source, window, outSize) {
  const { a, b, c, d, e, f } = windowMatrix(window);
  // image = A p + o with A = M's linear part / outSize; the canvas wants p = A^-1 (image - o).
  const [a0, b0, c0, d0] = [a / outSize, b / outSize, c / outSize, d / outSize];
  const det = a0 * d0 - b0 * c0;
  const [ia, ib, ic, id] = [d0 / det, -b0 / det, -c0 / det, a0 / det];
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, outSize, outSize);
  ctx.setTransform(ia, ic, ib, id, -(ia * e + ib * f), -(ic * e + id * f));
  ctx.drawImage(source, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}
