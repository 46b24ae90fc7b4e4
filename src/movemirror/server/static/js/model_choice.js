// Which pose model the page uses when left to choose ("auto", the default): the most accurate
// query model that this device runs at camera rate. The page starts at once on the fastest
// (START_MODEL) and measures the more accurate ones in the background (model_loader.js).

// Most accurate first, as query poses, by `movemirror bench quality` on LSPET's report queries
// (fraction of the oracle gap closed by the top match, limb direction / joint position, over
// all 1,000 queries, a query without an answer counting as a random photo), each model run as
// the page runs it: Thunder 0.535 / 0.591, BlazePose Full 0.486 / 0.548 (seeded by Lightning,
// so it answers only where Lightning finds a person), Lightning 0.473 / 0.526.
// BlazePose Heavy is offered by name only: about 5x Full's time and a 27 MB download.
// PoseNet (0.218 / 0.204, the original's) is never chosen by itself.
export const BY_QUERY_QUALITY = ['thunder', 'blazepose-full', 'lightning'];
/** The model Auto starts on, before any trial: the fastest, kept whatever its speed. */
export const START_MODEL = BY_QUERY_QUALITY[BY_QUERY_QUALITY.length - 1];
// Cheapest first, by CPU time a pose in TF.js's WASM backend (`movemirror bench page`, the
// same on every device that runs WASM: Lightning 32-41 ms, BlazePose Full about 2x that with its
// seed, Thunder 127-217 ms). A model is not loaded once a cheaper one was too slow.
export const BY_COST = ['lightning', 'blazepose-full', 'thunder'];
export const AUTO = 'auto';
export const CAMERA_FPS = 30;
// The share of a camera frame's interval the model may take: the rest goes to cropping,
// handing the frame over and back, and the other work of a busy device.
export const HEADROOM = 0.8;

/** The longest a model may take per pose (ms) and still keep up with the camera. */
export function budgetMs(cameraFps = CAMERA_FPS) {
  return (HEADROOM * 1000) / cameraFps;
}

export function keepsCameraRate(msPerPose, cameraFps = CAMERA_FPS) {
  return Number.isFinite(msPerPose) && msPerPose <= budgetMs(cameraFps);
}

// A model on trial whose first timed pose takes this many times what a full pool of workers
// could keep at camera rate is too slow, noise or not: it is timed no further.
const FAR_TOO_SLOW = 2;

/** Whether `workers` workers, each `msPerPose` alone, could keep camera rate at best (each
 * worker on a core of its own): a pool that could not is not worth loading on trial. */
export function poolCouldKeepRate(msPerPose, workers, cameraFps = CAMERA_FPS) {
  return keepsCameraRate(msPerPose / workers, cameraFps);
}

/** Whether a model on trial is too slow after its first timed pose, with `workers` at most. */
export function farTooSlow(firstMs, workers, cameraFps = CAMERA_FPS) {
  return firstMs > FAR_TOO_SLOW * workers * budgetMs(cameraFps);
}

/** The costliest model cheaper than `name` (BY_COST) measured too slow, or null. */
function cheaperTooSlow(name, measured, cameraFps) {
  const cost = BY_COST.indexOf(name);
  if (cost < 0) return null;
  return BY_COST.slice(0, cost).findLast((cheaper) => measured[cheaper] !== undefined
    && !keepsCameraRate(measured[cheaper], cameraFps)) ?? null;
}

/** "A", "A and B", "A, B and C". */
function listed(names) {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function notTried(names) {
  const one = names.length === 1;
  return `${listed(names)}, which cost${one ? 's' : ''} more, ${one ? 'was' : 'were'} not tried`;
}

/** Why `name` (measured at `ms`) was chosen, naming each other model once: those too slow,
 * the costlier ones not tried after them, those that could not run, and those not tried
 * because the chosen one, the fastest, was already too slow. */
function explain(name, ms, passed, measured, labels, cameraFps) {
  const { slow, failed, skipped } = passed;
  const budget = budgetMs(cameraFps);
  // A time that rounds to the budget is told to a tenth, lest "27 ms, over the 27 ms" be read.
  const digits = Object.values(measured).some((t) => Number.isFinite(t)
    && Math.round(t) === Math.round(budget)) ? 1 : 0;
  const limit = `${budget.toFixed(digits)} ms that keeps ${cameraFps} fps`;
  const took = (model) => `${measured[model].toFixed(digits)} ms a pose`;
  const others = [];
  if (slow.length) {
    const each = slow.map((model) => `${labels[model]} took ${took(model)}`);
    others.push(`${listed(each)}: too slow for ${cameraFps} fps here`);
  }
  for (const model of slow) if (skipped[model]) others.push(notTried(skipped[model]));
  if (failed.length) others.push(`${listed(failed.map((model) => labels[model]))} could not run here`);
  const keeps = keepsCameraRate(ms, cameraFps);
  const own = skipped[name] ? [notTried(skipped[name])] : [];
  if (!others.length) {
    return [keeps ? `the most accurate model; it took ${took(name)} here, within the ${limit}`
      : `the fastest model, though it took ${took(name)} here, over the ${limit}`, ...own]
      .join('; ');
  }
  return [...others, keeps ? `${labels[name]} took ${took(name)} here`
    : `${labels[name]}, the fastest, took ${took(name)} here, over the ${limit} too`, ...own]
    .join('; ');
}

/**
 * The choice, given the ms per pose measured so far ({model: ms, or null where its trial
 * failed}; on the worker loop, the pool's, as PoseWorkerPool measured its workers at once):
 * {model, done, reason}. While `done` is false, `model` is the next to measure: the most
 * accurate one not yet measured, passed over unmeasured when a cheaper one (BY_COST) was
 * already too slow. The last (fastest) model is kept whatever its rate: there is nothing
 * faster to fall back to. Auto measures START_MODEL first (it runs while the others are tried)
 * and then asks this function which to try next, until it is done.
 */
export function chooseModel(measured, labels, cameraFps = CAMERA_FPS) {
  // the models passed over: measured too slow, failed, or not tried (by the cheaper model
  // already too slow that made them not worth loading)
  const passed = { slow: [], failed: [], skipped: {} };
  for (const [i, name] of BY_QUERY_QUALITY.entries()) {
    const ms = measured[name];
    if (ms === undefined) {
      const cheaper = cheaperTooSlow(name, measured, cameraFps);
      if (!cheaper) return { model: name, done: false, reason: null };
      (passed.skipped[cheaper] ??= []).push(labels[name]);
      continue;
    }
    const last = i === BY_QUERY_QUALITY.length - 1;
    if (ms === null && !last) { // its trial failed (Infinity would not survive JSON)
      passed.failed.push(name);
      continue;
    }
    if (keepsCameraRate(ms, cameraFps) || last) {
      return { model: name, done: true,
        reason: explain(name, ms, passed, measured, labels, cameraFps) };
    }
    passed.slow.push(name);
  }
  throw new Error('no model to choose from');
}
