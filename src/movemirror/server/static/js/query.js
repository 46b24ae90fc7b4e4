// The one query the page sends for a pose: rounded keypoints, the frame's size and the
// search options of the controls. Only this ever leaves the page.
const MIRROR_VIEW_K = 5;

/** The search options the controls ask for, in the given view; mirror: the person's own
 * choice (Views.mirrorChosen). */
export function searchOptions(ui, view, mirror) {
  return {
    k: view === 'explore' ? Number(ui.k.value) : MIRROR_VIEW_K,
    metric: ui.metric.value,
    mirror,
    one_per_frame: true, // no photo hogs the mirror (movemirror.server.variety)
  };
}

export function poseQuery(pose, width, height, options) {
  const keypoints = pose.map(([x, y, s]) => [+x.toFixed(1), +y.toFixed(1), +s.toFixed(3)]);
  return { keypoints, width, height, ...options };
}
