// The page: camera or photo -> pose (in this browser) -> keypoints to the server -> matches.
import { CameraError, startCamera, stopCamera } from './camera.js';
import { MainThreadLoop, WorkerLoop } from './camera_loop.js';
import { health, MatchStream, searchOnce } from './connection.js';
import { createDetector, loadTfjsHere, MODELS } from './detector.js';
import { drawFrame, drawSkeleton } from './draw.js';
import { ExploreGrid } from './explore.js';
import { Flipbook } from './flipbook.js';
import { GifRecorder } from './gif.js';
import { MatchHold } from './hold.js';
import { isGoodPose } from './keypoints.js';
import { AUTO, chooseModel } from './model_choice.js';
import { KeypointsFilter } from './one_euro.js';
import { defaultPoolSize, PoseWorkerPool, workerSupported } from './pose_client.js';
import { Rate } from './stats.js';
import { Messages } from './status.js';
import { acceptDrops, photoToCanvas } from './still.js';

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(window.location.search);
const MIRROR_VIEW_K = 5;

const ui = {
  video: $('#video'),
  view: $('#view'),
  stats: $('#stats'),
  countdown: $('#countdown'),
  gifButton: $('#gif-button'),
  gifLink: $('#gif-download'),
  cameraButton: $('#camera-button'),
  photoInput: $('#photo-input'),
  model: $('#model'),
  k: $('#explore-k'),
  metric: $('#metric'),
  mirror: $('#mirror-toggle'),
  freeze: $('#freeze'),
};
const messages = new Messages($('#messages'));
const flipbook = new Flipbook({ image: $('#match-image'), caption: $('#match-caption'),
  empty: $('#match-empty') });
const grid = new ExploreGrid({ grid: $('#grid'), dialog: $('#detail') });
const hold = new MatchHold();
const filter = new KeypointsFilter();
const recorder = new GifRecorder();
const frameRate = new Rate();
const matchRate = new Rate();

// Everything the tests (and a curious person, in the console) may look at.
const state = {
  view: 'mirror',
  source: 'camera',
  model: params.get('model') || AUTO,
  modelChoice: null, // {model, reason, measured} when the page chose the model itself
  // Where the model runs: 'worker' (a module Web Worker) or 'main' (this thread, to compare).
  loop: params.get('loop') || (workerSupported() ? 'worker' : 'main'),
  workers: Number(params.get('workers')) || defaultPoolSize(), // pose workers on that loop
  backend: null,
  timings: null,
  ready: false,
  frozen: false,
  pose: null,
  matches: [],
  shown: null,
  estimateMs: 0,
  get fps() { return frameRate.perSecond(); },
  get screenFps() { return cameraLoop ? cameraLoop.screen.perSecond() : 0; },
  get screenFrames() { return cameraLoop ? cameraLoop.screen.total : 0; },
  // Where each frame's time went (frame_timings.js), for the tests and bench page.
  frameTimings: () => (cameraLoop ? { ...cameraLoop.timings.summary(), frames:
    cameraLoop.timings.frames, dropped: cameraLoop.dropped ?? 0, late: cameraLoop.late ?? 0,
    latencyFrom: cameraLoop.latencyFrom } : null),
  clearFrameTimings: () => cameraLoop?.timings.clear(),
  get matchesPerSecond() { return matchRate.perSecond(); },
  get frames() { return frameRate.total; },
  get replies() { return matchRate.total; },
  messages: () => [...messages.items.keys()].map((topic) => `${topic}: ${messages.text(topic)}`),
};
window.movemirror = state;

function options() {
  return {
    k: state.view === 'explore' ? Number(ui.k.value) : MIRROR_VIEW_K,
    metric: ui.metric.value,
    mirror: ui.mirror.checked,
  };
}

function query(pose, width, height) {
  const keypoints = pose.map(([x, y, s]) => [+x.toFixed(1), +y.toFixed(1), +s.toFixed(3)]);
  return { keypoints, width, height, ...options() };
}

function showMatches(matches) {
  state.matches = matches;
  state.shown = hold.update(matches);
  flipbook.show(state.shown);
  if (state.view === 'explore') grid.render(matches, { force: state.source === 'photo' });
}

// --- the server ------------------------------------------------------------------------

const stream = new MatchStream();
stream.addEventListener('status', ({ detail }) => {
  state.connection = detail.state;
  if (detail.state === 'open') messages.clear('server');
  if (detail.state === 'closed') {
    const seconds = (detail.retryInMs / 1000).toFixed(1);
    messages.show('server', `The server cannot be reached; trying again in ${seconds} s.`,
      { kind: 'error' });
  }
});
stream.addEventListener('error-frame', ({ detail }) => {
  if (detail.code !== 'bad_pose') console.warn('server:', detail.code, detail.detail);
});

health().then((info) => {
  if (info) $('#bank-size').textContent = `${info.bank_size.toLocaleString()} poses`;
  $('#query-log').hidden = !info?.query_log;
});

// --- the camera loop ---------------------------------------------------------------------

// {estimator, model, backend, msPerRun, timings, dispose}; the estimator is the pose worker's
// client, or the model itself on this thread
let detector = null;
let poseWorker = null;
let cameraLoop = null;
let loopToken = 0; // bumped to stop a camera loop or a photo's search

function onCameraPose(pose, width, height) {
  if (pose) {
    state.pose = pose;
    const token = loopToken;
    stream.send(query(pose, width, height)).then((reply) => {
      if (!reply || token !== loopToken || state.frozen) return;
      if (reply.type === 'matches') {
        matchRate.tick();
        showMatches(reply.matches);
      }
    });
  } else {
    state.pose = null;
    showMatches([]);
  }
  state.estimateMs = cameraLoop?.lastPoseMs ?? 0;
  frameRate.tick();
}

function stopCameraLoop() {
  loopToken += 1;
  cameraLoop?.stop();
  cameraLoop = null;
}

async function useCamera() {
  state.source = 'camera';
  document.body.dataset.source = 'camera';
  ui.cameraButton.hidden = true;
  stopCamera(ui.video);
  try {
    messages.show('camera', 'Starting the camera…');
    await startCamera(ui.video);
    messages.clear('camera');
  } catch (error) {
    const text = error instanceof CameraError ? error.message : String(error);
    messages.show('camera', text, { kind: 'error' });
    flipbook.empty.textContent = 'No camera: use a photo instead (button above, or drop one).';
    return;
  }
  hold.clear();
  stopCameraLoop();
  const Loop = state.loop === 'worker' ? WorkerLoop : MainThreadLoop;
  cameraLoop = new Loop({
    video: ui.video, view: ui.view, estimator: detector.estimator, filter,
    onPose: onCameraPose, isFrozen: () => state.frozen,
  });
  cameraLoop.start();
}

// --- a still photo -----------------------------------------------------------------------

async function usePhoto(file) {
  if (!detector) return;
  stopCameraLoop();
  stopCamera(ui.video);
  state.source = 'photo';
  document.body.dataset.source = 'photo';
  ui.cameraButton.hidden = false;
  messages.clear('camera');
  state.matches = [];
  state.pose = null;
  let canvas;
  try {
    canvas = await photoToCanvas(file);
  } catch (error) {
    messages.show('photo', error.message, { kind: 'error' });
    return;
  }
  messages.clear('photo');
  const { width, height } = canvas;
  let pose;
  try {
    pose = await detector.estimator.estimateStill(canvas, width, height);
  } catch (error) {
    messages.show('photo', `The photo could not be read: ${error.message}`, { kind: 'error' });
    return;
  }
  drawFrame(ui.view, canvas, width, height);
  hold.clear();
  if (!isGoodPose(pose)) {
    state.pose = null;
    messages.show('photo', 'No person could be made out in this photo. Try another one.');
    showMatches([]);
    return;
  }
  drawSkeleton(ui.view, pose);
  state.pose = pose;
  state.photoSize = [width, height];
  await searchPhoto();
}

async function searchPhoto() {
  const [width, height] = state.photoSize;
  try {
    const reply = await searchOnce(query(state.pose, width, height));
    matchRate.tick();
    hold.clear();
    showMatches(reply.matches);
  } catch (error) {
    messages.show('photo', `No matches: ${error.message}`, { kind: 'error' });
  }
}

// --- views and controls ------------------------------------------------------------------

function setView(view) {
  state.view = view;
  document.body.dataset.view = view;
  for (const button of document.querySelectorAll('[data-view]')) {
    button.setAttribute('aria-pressed', String(button.dataset.view === view));
  }
  if (view === 'explore') grid.render(state.matches, { force: true });
  refresh();
}

function refresh() {
  // New options: ask again for the pose on screen when it will not come by itself.
  if (!state.pose) return;
  if (state.source === 'photo') {
    searchPhoto();
  } else if (state.frozen) {
    const [width, height] = [ui.view.width, ui.view.height];
    stream.send(query(state.pose, width, height)).then((reply) => {
      if (reply && reply.type === 'matches') {
        hold.clear();
        state.matches = reply.matches;
        grid.render(reply.matches, { force: true });
        flipbook.show(hold.update(reply.matches));
      }
    });
  }
}

for (const button of document.querySelectorAll('[data-view]')) {
  button.addEventListener('click', () => setView(button.dataset.view));
}
for (const control of [ui.k, ui.metric, ui.mirror]) control.addEventListener('change', refresh);
ui.freeze.addEventListener('click', () => {
  state.frozen = !state.frozen;
  ui.freeze.setAttribute('aria-pressed', String(state.frozen));
  ui.freeze.textContent = state.frozen ? 'Resume' : 'Freeze';
  if (state.frozen) grid.render(state.matches, { force: true });
});
ui.photoInput.addEventListener('change', () => {
  if (ui.photoInput.files[0]) usePhoto(ui.photoInput.files[0]);
  ui.photoInput.value = '';
});
ui.cameraButton.addEventListener('click', () => useCamera());
acceptDrops(document.body, usePhoto, (on) => document.body.classList.toggle('dropping', on));

ui.gifButton.addEventListener('click', async () => {
  ui.gifButton.disabled = true;
  ui.gifLink.hidden = true;
  try {
    const blob = await recorder.record({
      person: ui.view,
      matchImage: () => (flipbook.image.hidden ? null : flipbook.image),
      onCountdown: (n) => {
        ui.countdown.hidden = n === null;
        ui.countdown.textContent = n === 0 ? '● REC' : String(n ?? '');
        ui.countdown.classList.toggle('recording', n === 0);
      },
      onProgress: (fraction, text) => messages.show('gif', text, { progress: fraction }),
    });
    messages.clear('gif');
    if (ui.gifLink.href) URL.revokeObjectURL(ui.gifLink.href);
    ui.gifLink.href = URL.createObjectURL(blob);
    ui.gifLink.hidden = false;
    state.gifBytes = blob.size;
    ui.gifLink.click();
  } catch (error) {
    messages.show('gif', `The GIF could not be made: ${error.message}`, { kind: 'error' });
  } finally {
    ui.gifButton.disabled = false;
  }
});

function modelStatus() {
  if (!state.backend) return 'loading';
  const where = state.loop === 'main' ? 'on the page\'s thread'
    : `in ${state.workers === 1 ? 'a worker' : `${state.workers} workers`}`;
  const label = MODELS[state.model]?.label ?? state.model;
  const chosen = state.modelChoice ? `${label} (chosen for this device: ${state.modelChoice.reason})`
    : label;
  return `${chosen} · ${state.backend} ${where}`;
}

setInterval(() => {
  const parts = [modelStatus()];
  if (state.source === 'camera' && state.ready && state.frames > 0) {
    parts.push(`${state.fps.toFixed(0)} fps`, `${state.estimateMs.toFixed(0)} ms/pose`);
  }
  ui.stats.textContent = parts.join(' · ');
}, 500);

// --- start -------------------------------------------------------------------------------

async function loadDetector(name, onProgress) {
  const backend = params.get('backend');
  const threads = params.has('threads') ? Number(params.get('threads')) : null;
  if (state.loop === 'worker') {
    poseWorker ??= new PoseWorkerPool(state.workers);
    const loaded = await poseWorker.load(name, { backend, threads, onProgress });
    return { ...loaded, estimator: poseWorker, dispose: () => {} }; // the worker swaps models
  }
  await loadTfjsHere();
  const made = await createDetector(name, { backend, threads, onProgress });
  return { ...made, dispose: () => made.estimator.model.dispose() };
}

/** The most accurate model that keeps camera rate here, measured most accurate first. */
async function loadFastEnoughModel(onProgress) {
  const labels = Object.fromEntries(Object.entries(MODELS).map(([name, spec]) => [name,
    spec.label]));
  const measured = {};
  let choice = chooseModel(measured, labels);
  while (!choice.done) {
    detector?.dispose();
    detector = await loadDetector(choice.model, onProgress);
    measured[choice.model] = detector.msPerRun;
    choice = chooseModel(measured, labels);
  }
  if (detector.model !== choice.model) {
    detector.dispose();
    detector = await loadDetector(choice.model, onProgress);
  }
  return { model: choice.model, reason: choice.reason, measured };
}

let loadToken = 0;

async function loadModel(requested) {
  loadToken += 1;
  const token = loadToken;
  stopCameraLoop();
  state.ready = false;
  state.requestedModel = requested;
  state.modelChoice = null;
  detector?.dispose();
  detector = null;
  const onProgress = (fraction, text) => messages.show('model', `${text}…`, { progress: fraction });
  try {
    if (requested === AUTO) state.modelChoice = await loadFastEnoughModel(onProgress);
    else detector = await loadDetector(requested, onProgress);
  } catch (error) {
    messages.show('model', `The pose model could not be loaded: ${error.message}. `
      + 'Is web/node_modules installed (make setup-node)?', { kind: 'error' });
    return;
  }
  if (token !== loadToken) return; // another model was asked for meanwhile
  messages.clear('model');
  Object.assign(state, { model: detector.model, backend: detector.backend,
    timings: detector.timings, backendDetails: detector.details, ready: true });
  state.detector = detector;
  document.body.dataset.ready = 'true';
  if (state.source === 'camera') useCamera();
}

ui.model.append(new Option('Auto: most accurate at camera rate', AUTO, false,
  state.model === AUTO));
for (const [name, spec] of Object.entries(MODELS)) {
  ui.model.append(new Option(spec.label, name, false, name === state.model));
}
ui.model.addEventListener('change', () => loadModel(ui.model.value));
if (params.get('view') === 'explore') setView('explore');
loadModel(state.model);
