// A match without a picture (a bank built from keypoints alone) is shown as its skeleton,
// fitted to the canvas that stands where its picture would be: a card, the detail dialog.
// Movement mode fits a track's frames without pictures the same way (draw.js's fitted).
import { drawSkeleton, fitted } from './draw.js';

/** The words added to a match's description where its skeleton stands for its picture. */
export const DRAWN_NOTE = 'drawn as a skeleton: the archive has no picture of it';

/** True when the match is to be drawn: no picture, but its keypoints. */
export function drawnAlone(match) {
  return !match.thumbnail && Array.isArray(match.keypoints);
}

/** Draws the match's keypoints (pixels of its source) to fill most of a clear canvas; lines
 * `lineScale` times as wide as drawSkeleton's (on a small card they are seen smaller). */
export function drawPoseAlone(canvas, keypoints, lineScale = 1) {
  const scale = (lineScale * Math.max(canvas.width, canvas.height)) / 640;
  drawSkeleton(canvas, fitted(keypoints, canvas.width, canvas.height), { clear: true, scale });
}
