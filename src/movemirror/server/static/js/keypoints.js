// The keypoint schema of movemirror.keypoints: PoseNet's 17 keypoints, skeleton, left/right swap.
export const KEYPOINT_NAMES = [
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
  'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
  'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
];
export const KEYPOINT_INDEX = Object.fromEntries(KEYPOINT_NAMES.map((name, i) => [name, i]));

export const SKELETON_EDGES = [
  ['nose', 'left_eye'], ['nose', 'right_eye'], ['left_eye', 'left_ear'],
  ['right_eye', 'right_ear'], ['left_shoulder', 'right_shoulder'],
  ['left_shoulder', 'left_elbow'], ['left_elbow', 'left_wrist'],
  ['right_shoulder', 'right_elbow'], ['right_elbow', 'right_wrist'],
  ['left_shoulder', 'left_hip'], ['right_shoulder', 'right_hip'], ['left_hip', 'right_hip'],
  ['left_hip', 'left_knee'], ['left_knee', 'left_ankle'], ['right_hip', 'right_knee'],
  ['right_knee', 'right_ankle'],
].map(([a, b]) => [KEYPOINT_INDEX[a], KEYPOINT_INDEX[b]]);

export const MIRROR_PERMUTATION = KEYPOINT_NAMES.map((name) => {
  if (name.startsWith('left_')) return KEYPOINT_INDEX[`right_${name.slice(5)}`];
  if (name.startsWith('right_')) return KEYPOINT_INDEX[`left_${name.slice(6)}`];
  return KEYPOINT_INDEX[name];
});

// Keypoints of the body (no face), as movemirror.keypoints.BODY_KEYPOINTS.
export const BODY_KEYPOINTS = KEYPOINT_NAMES.map((_, i) => i).filter((i) => i >= 5);

/** The pose as seen in a mirror of a frame `width` wide: x flipped, left and right swapped. */
export function mirrorPose(keypoints, width) {
  return MIRROR_PERMUTATION.map((j) => [width - keypoints[j][0], keypoints[j][1], keypoints[j][2]]);
}

/**
 * Whether a pose is worth matching: enough confident body keypoints.
 * Below this the page shows nothing rather than a match for noise.
 */
export function isGoodPose(keypoints, { minScore = 0.3, minBodyKeypoints = 6 } = {}) {
  if (!keypoints) return false;
  return BODY_KEYPOINTS.filter((i) => keypoints[i][2] >= minScore).length >= minBodyKeypoints;
}
