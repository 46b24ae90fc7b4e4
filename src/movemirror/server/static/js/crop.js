// Where in the frame the pose model looks: tfjs-models' MoveNet crop logic. The first frame
// (or a lost track) uses the whole frame padded to a square; later frames a square around
// the previous pose, which makes a distant person bigger in the model's input.

import { KEYPOINT_INDEX } from './keypoints.js';

const MIN_CROP_SCORE = 0.2;
const L_SHOULDER = KEYPOINT_INDEX.left_shoulder;
const R_SHOULDER = KEYPOINT_INDEX.right_shoulder;
const L_HIP = KEYPOINT_INDEX.left_hip;
const R_HIP = KEYPOINT_INDEX.right_hip;

/** The whole frame, padded to a square: boxes in [0, 1] frame units, outside is padding. */
export function fullFrameCrop(width, height) {
  if (width > height) {
    const h = width / height;
    return { yMin: (1 - h) / 2, xMin: 0, yMax: (1 + h) / 2, xMax: 1 };
  }
  const w = height / width;
  return { yMin: 0, xMin: (1 - w) / 2, yMax: 1, xMax: (1 + w) / 2 };
}

function torsoVisible(kp) {
  return (kp[L_HIP][2] > MIN_CROP_SCORE || kp[R_HIP][2] > MIN_CROP_SCORE)
    && (kp[L_SHOULDER][2] > MIN_CROP_SCORE || kp[R_SHOULDER][2] > MIN_CROP_SCORE);
}

/** A square crop around a pose (keypoints in pixels), or the full frame if it is not seen. */
export function cropAround(keypoints, width, height) {
  if (!keypoints || !torsoVisible(keypoints)) return fullFrameCrop(width, height);
  const cx = (keypoints[L_HIP][0] + keypoints[R_HIP][0]) / 2;
  const cy = (keypoints[L_HIP][1] + keypoints[R_HIP][1]) / 2;
  let torso = 0;
  for (const i of [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP]) {
    torso = Math.max(torso, Math.abs(cx - keypoints[i][0]), Math.abs(cy - keypoints[i][1]));
  }
  let body = 0;
  for (const [x, y, score] of keypoints) {
    if (score >= MIN_CROP_SCORE) body = Math.max(body, Math.abs(cx - x), Math.abs(cy - y));
  }
  let half = Math.max(torso * 1.9, body * 1.2);
  half = Math.min(half, Math.max(cx, width - cx, cy, height - cy));
  if (half > Math.max(width, height) / 2) return fullFrameCrop(width, height);
  return {
    yMin: (cy - half) / height, xMin: (cx - half) / width,
    yMax: (cy + half) / height, xMax: (cx + half) / width,
  };
}

/** A 2D canvas on the page, or an OffscreenCanvas in a worker (which has no document). */
export function makeCanvas(width, height) {
  if (typeof document === 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/**
 * Draws the crop of `source` into a size x size canvas (black where the crop leaves the
 * frame). Cropping and scaling with the 2D canvas before TF.js reads the pixels is much
 * cheaper than reading the whole frame and resizing it with tensors.
 */
export class CropCanvas {
  constructor(size) {
    this.canvas = makeCanvas(size, size);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    this.size = size;
  }

  draw(source, width, height, crop) {
    const { ctx, size } = this;
    const x0 = crop.xMin * width;
    const y0 = crop.yMin * height;
    const scaleX = size / ((crop.xMax - crop.xMin) * width);
    const scaleY = size / ((crop.yMax - crop.yMin) * height);
    const sx = Math.max(0, x0);
    const sy = Math.max(0, y0);
    const ex = Math.min(width, crop.xMax * width);
    const ey = Math.min(height, crop.yMax * height);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, size, size);
    if (ex > sx && ey > sy) {
      ctx.drawImage(source, sx, sy, ex - sx, ey - sy, (sx - x0) * scaleX, (sy - y0) * scaleY,
        (ex - sx) * scaleX, (ey - sy) * scaleY);
    }
    return this.canvas;
  }
}
