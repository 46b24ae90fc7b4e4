// The people in a still photo, as `movemirror pose` finds them: MoveNet MultiPose finds up to
// six people; each is then estimated again by the page's pose model on a square crop around
// them, turned by 0, 90, 180 and 270 degrees, and the most confident (most upright) result
// kept, so an upside-down gymnast is found as well as a standing judge.
/* global tf */
import { CropCanvas, fullFrameCrop } from './crop.js';

const MULTIPOSE_URL = '/vendor/models/movenet-multipose.json';
const MULTIPOSE_SIDE = 256; // the model's fixed input
const MIN_PERSON_SCORE = 0.25; // MultiPose's box score below which a row is nobody
const MIN_KEYPOINT_SCORE = 0.3;
const CROP_EXPAND = 1.3; // crop side / the person's larger box side
const ANGLES = [0, 90, 180, 270];
const SAME_PERSON_IOU = 0.5;

let multipose = null;

/** Loads MultiPose from this server once; later calls reuse it. */
async function multiPoseModel() {
  if (!multipose) multipose = tf.loadGraphModel(MULTIPOSE_URL);
  return multipose;
}

/** Up to six people: [{keypoints, box: [x0, y0, x1, y1], score}] in pixels of `source`. */
export async function findPeople(source, width, height) {
  const model = await multiPoseModel();
  const crop = fullFrameCrop(width, height);
  const pixels = new CropCanvas(MULTIPOSE_SIDE).draw(source, width, height, crop);
  const output = tf.tidy(() => model.execute(tf.browser.fromPixels(pixels).expandDims(0)));
  const rows = await output.data();
  output.dispose();
  const toX = (v) => (crop.xMin + v * (crop.xMax - crop.xMin)) * width;
  const toY = (v) => (crop.yMin + v * (crop.yMax - crop.yMin)) * height;
  const people = [];
  for (let p = 0; p < rows.length / 56; p += 1) {
    const row = rows.slice(56 * p, 56 * (p + 1));
    if (row[55] < MIN_PERSON_SCORE) continue;
    const keypoints = [];
    for (let i = 0; i < 17; i += 1) {
      keypoints.push([toX(row[3 * i + 1]), toY(row[3 * i]), row[3 * i + 2]]);
    }
    people.push({ keypoints, box: [toX(row[52]), toY(row[51]), toX(row[54]), toY(row[53])],
      score: row[55] });
  }
  return people;
}

/** The box around a pose's confident keypoints, or null. */
export function keypointBox(keypoints) {
  const seen = keypoints.filter(([, , s]) => s >= MIN_KEYPOINT_SCORE);
  if (seen.length < 2) return null;
  const xs = seen.map(([x]) => x);
  const ys = seen.map(([, y]) => y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r) => (r[2] - r[0]) * (r[3] - r[1]);
  return (w * h) / (area(a) + area(b) - w * h || 1);
}

export function meanScore(keypoints) {
  return keypoints.reduce((sum, [, , s]) => sum + s, 0) / keypoints.length;
}

/**
 * The pose of the person in `box`, estimated on a square crop around it turned by each of
 * ANGLES; the most confident one, in pixels of `source`.
 */
export async function uprightPose(estimator, source, box) {
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * CROP_EXPAND;
  const size = Math.max(64, Math.round(Math.min(side, 512)));
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  let best = null;
  for (const angle of ANGLES) {
    const turn = (angle * Math.PI) / 180;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, size, size);
    // crop pixel = R(turn) * (source pixel - centre) * size / side + size / 2
    ctx.translate(size / 2, size / 2);
    ctx.rotate(turn);
    ctx.scale(size / side, size / side);
    ctx.translate(-cx, -cy);
    ctx.drawImage(source, 0, 0);
    const found = await estimator.estimate(canvas, size, size, { track: false });
    const score = meanScore(found);
    if (best && score <= best.score) continue;
    const cos = Math.cos(-turn);
    const sin = Math.sin(-turn);
    const keypoints = found.map(([x, y, s]) => {
      const u = ((x - size / 2) * side) / size;
      const v = ((y - size / 2) * side) / size;
      return [cx + cos * u - sin * v, cy + sin * u + cos * v, s];
    });
    best = { keypoints, score, angle };
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  return best;
}

/**
 * Everyone in a still photo, upright poses, largest first: [{keypoints, box, score, angle}].
 * `fallback()` gives one pose when MultiPose finds nobody (the page model on the whole photo).
 */
export async function peopleInPhoto(estimator, source, width, height, fallback) {
  let seeds = (await findPeople(source, width, height)).map((p) => p.box);
  if (seeds.length === 0) {
    const box = keypointBox(await fallback());
    seeds = box ? [box] : [];
  }
  const people = [];
  for (const seed of seeds) {
    const pose = await uprightPose(estimator, source, seed);
    const box = pose && keypointBox(pose.keypoints);
    if (!box || people.some((other) => iou(other.box, box) > SAME_PERSON_IOU)) continue;
    people.push({ ...pose, box });
  }
  const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
  return people.sort((a, b) => area(b.box) - area(a.box));
}
