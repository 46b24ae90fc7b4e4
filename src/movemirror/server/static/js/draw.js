// Drawing the person's view: the frame (mirrored for the webcam) and the skeleton over it.
import { SKELETON_EDGES } from './keypoints.js';

const MIN_DRAW_SCORE = 0.3;

export function drawFrame(canvas, source, width, height, { mirrored = false } = {}) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.save();
  if (mirrored) {
    ctx.translate(width, 0);
    ctx.scale(-1, 1);
  }
  ctx.drawImage(source, 0, 0, width, height);
  ctx.restore();
}

/** Keypoints [[x, y, score]] in canvas pixels; lines 4 x `scale` px wide (by default 4 px on a
 * 640 px canvas, in proportion on others). */
export function drawSkeleton(canvas, keypoints, { clear = false, scale = null } = {}) {
  const ctx = canvas.getContext('2d');
  if (clear) ctx.clearRect(0, 0, canvas.width, canvas.height);
  scale = scale ?? Math.max(canvas.width, canvas.height) / 640;
  ctx.lineWidth = 4 * scale;
  ctx.lineCap = 'round';
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.shadowColor = 'rgba(0, 0, 0, 0.6)';
  ctx.shadowBlur = 4 * scale;
  for (const [a, b] of SKELETON_EDGES) {
    if (keypoints[a][2] < MIN_DRAW_SCORE || keypoints[b][2] < MIN_DRAW_SCORE) continue;
    ctx.beginPath();
    ctx.moveTo(keypoints[a][0], keypoints[a][1]);
    ctx.lineTo(keypoints[b][0], keypoints[b][1]);
    ctx.stroke();
  }
  ctx.shadowBlur = 0;
  ctx.fillStyle = '#ff4f8b';
  for (const [x, y, score] of keypoints) {
    if (score < MIN_DRAW_SCORE) continue;
    ctx.beginPath();
    ctx.arc(x, y, 5 * scale, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** Keypoints with x and y as fractions of the canvas (a match's image_pose), on a clear canvas. */
export function drawNormalizedSkeleton(canvas, pose) {
  const keypoints = pose.map(([x, y, score]) => [x * canvas.width, y * canvas.height, score]);
  drawSkeleton(canvas, keypoints, { clear: true });
}

/** Keypoints moved and scaled so that the confident ones fill 80% of a width x height box. */
export function fitted(keypoints, width, height) {
  const sure = keypoints.filter(([, , s]) => s >= MIN_DRAW_SCORE);
  const points = sure.length >= 2 ? sure : keypoints;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = 0.8 * Math.min(width / Math.max(x1 - x0, 1), height / Math.max(y1 - y0, 1));
  const dx = width / 2 - ((x0 + x1) / 2) * scale;
  const dy = height / 2 - ((y0 + y1) / 2) * scale;
  return keypoints.map(([x, y, s]) => [x * scale + dx, y * scale + dy, s]);
}
