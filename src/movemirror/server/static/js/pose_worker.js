// The pose model in a module Web Worker, with TF.js's WASM backend (threads too: the server's
// headers make the page, and so this worker, cross-origin isolated). The page hands over camera
// frames as ImageBitmaps and gets keypoints back, so drawing, the flipbook and the socket on
// the page never wait for the model, and the model never waits for them.
//
// Messages in:  {type: 'load', id, name, backend, threads}
//               {type: 'frame', id, bitmap, width, height, crop}  (a camera frame, and where
//                 to look in it; may be dropped)
//               {type: 'still', id, bitmap, width, height}   (a photo; never dropped)
//               {type: 'people', id, bitmap, width, height}  (everyone in a photo)
//               {type: 'reset'}                              (the person was lost: stop tracking)
//               {type: 'probe', id, runs}  (time the model on a blank frame, to size the pool)
// Messages out: {type: 'loaded', id, model, backend, msPerRun, timings, details}
//               {type: 'progress', id, fraction, text}
//               {type: 'pose', id, keypoints, timing: {resizeMs, inferMs}}
//               {type: 'people', id, people}  (still_people.js peopleInPhoto)
//               {type: 'dropped', id}  (a newer frame came before this one was started)
//               {type: 'probed', id, ms}  (the probe's runs took ms in all)
//               {type: 'error', id, message}
import '/vendor/tfjs/tf.es2017.min.js';
import '/vendor/tfjs-backend-wasm/tf-backend-wasm.es2017.min.js';
import { makeCanvas } from './crop.js';
import { createDetector, probePose } from './detector.js';
import { peopleInPhoto } from './still_people.js';

let detector = null;
let loading = null;
let newestFrame = null; // the one camera frame waiting; an older one is dropped for it
const stills = [];
let running = false;

// Lets messages that came in while the model ran be delivered before the next frame starts,
// so that the frame started is the newest one.
function deliverWaitingMessages() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

async function estimate(job) {
  const { estimator } = detector;
  try {
    if (job.type === 'probe') {
      const probe = makeCanvas(256, 256);
      const start = performance.now();
      for (let i = 0; i < job.runs; i += 1) await probePose(estimator, probe);
      estimator.reset(); // the blank probe is no person to follow
      self.postMessage({ type: 'probed', id: job.id, ms: performance.now() - start });
      return;
    }
    if (job.type === 'people') {
      const { bitmap, width, height } = job;
      const people = await peopleInPhoto(estimator, bitmap, width, height,
        () => estimator.estimateStill(bitmap, width, height));
      self.postMessage({ type: 'people', id: job.id, people });
      return;
    }
    const keypoints = job.type === 'still'
      ? await estimator.estimateStill(job.bitmap, job.width, job.height)
      : await estimator.estimate(job.bitmap, job.width, job.height, { crop: job.crop });
    const { resizeMs, inferMs } = estimator.lastTiming || { resizeMs: 0, inferMs: 0 };
    self.postMessage({ type: 'pose', id: job.id, keypoints,
      timing: { resizeMs, inferMs } });
  } catch (error) {
    self.postMessage({ type: 'error', id: job.id, message: String(error?.message || error) });
  } finally {
    job.bitmap?.close();
  }
}

async function run() {
  if (running) return;
  running = true;
  try {
    for (;;) {
      await loading; // a model being swapped: frames wait for the new one
      const job = stills.shift() || newestFrame;
      if (!job) break;
      if (job === newestFrame) newestFrame = null;
      if (detector) await estimate(job);
      else {
        job.bitmap?.close();
        self.postMessage({ type: 'error', id: job.id, message: 'no pose model is loaded' });
      }
      await deliverWaitingMessages();
    }
  } finally {
    running = false;
  }
}

async function load({ id, name, backend, threads }) {
  if (detector) detector.estimator.dispose();
  detector = null;
  try {
    detector = await createDetector(name, {
      backend, threads,
      onProgress: (fraction, text) => self.postMessage({ type: 'progress', id, fraction, text }),
    });
    const { model, msPerRun, timings, details } = detector;
    self.postMessage({ type: 'loaded', id, model, backend: detector.backend, msPerRun, timings,
      details });
  } catch (error) {
    self.postMessage({ type: 'error', id, message: String(error?.message || error) });
  }
}

self.onmessage = ({ data }) => {
  switch (data.type) {
    case 'load':
      loading = Promise.resolve(loading).then(() => load(data));
      run();
      break;
    case 'frame':
      if (newestFrame) {
        newestFrame.bitmap.close();
        self.postMessage({ type: 'dropped', id: newestFrame.id });
      }
      newestFrame = data;
      run();
      break;
    case 'still':
    case 'people':
    case 'probe':
      stills.push(data);
      run();
      break;
    case 'reset':
      detector?.estimator.reset();
      break;
    default:
      self.postMessage({ type: 'error', id: data.id, message: `unknown message ${data.type}` });
  }
};
