// The page: camera or photo -> pose (in this browser) -> keypoints to the server -> matches.
import { CameraError, startCamera, stopCamera } from './camera.js';
import { health, MatchStream, searchOnce } from './connection.js';
import { CoverageView } from './coverage.js';
import { createDetector, DEFAULT_MODEL, MODELS } from './detector.js';
import { drawFrame, drawSkeleton } from './draw.js';
import { ExploreGrid } from './explore.js';
import { Flipbook } from './flipbook.js';
import { GifRecorder } from './gif.js';
import { MatchHold } from './hold.js';
import { isGoodPose, mirrorPose } from './keypoints.js';
import { KeypointsFilter } from './one_euro.js';
import { Rate } from './stats.js';
import { Messages } from './status.js';
import { acceptDrops, photoToCanvas } from './still.js';
import { RecentFrames } from './variety.js';

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
const coverageGrid = new ExploreGrid({ grid: $('#coverage-grid'), dialog: $('#detail') });
const coverage = new CoverageView({
  canvas: $('#coverage-map'),
  list: $('#coverage-grid'),
  caption: $('#coverage-caption'),
  render: (matches) => coverageGrid.render(matches, { force: true }),
});
const hold = new MatchHold({ variety: new RecentFrames() });
const filter = new KeypointsFilter();
const recorder = new GifRecorder();
const frameRate = new Rate();
const matchRate = new Rate();

// Everything the tests (and a curious person, in the console) may look at.
const state = {
  view: 'mirror',
  source: 'camera',
  model: params.get('model') || DEFAULT_MODEL,
  backend: null,
  timings: null,
  ready: false,
  frozen: false,
  pose: null,
  matches: [],
  shown: null,
  estimateMs: 0,
  get fps() { return frameRate.perSecond(); },
  get matchesPerSecond() { return matchRate.perSecond(); },
  get frames() { return frameRate.total; },
  get replies() { return matchRate.total; },
  messages: () => [...messages.items.keys()].map((topic) => `${topic}: ${messages.text(topic)}`),
};
window.movemirror = state;
state.coverage = coverage;

function options() {
  return {
    k: state.view === 'explore' ? Number(ui.k.value) : MIRROR_VIEW_K,
    metric: ui.metric.value,
    mirror: ui.mirror.checked,
    one_per_frame: true,
  };
}

function query(pose, width, height) {
  const keypoints = pose.map(([x, y, s]) => [+x.toFixed(1), +y.toFixed(1), +s.toFixed(3)]);
  return { keypoints, width, height, ...options() };
}

function showMatches(matches) {
  if (state.view === 'coverage') coverage.place(state.pose);
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

let detector = null;
let loopToken = 0;

function nextVideoFrame(video) {
  return new Promise((resolve) => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
}

async function cameraLoop(token) {
  const { video, view } = ui;
  while (token === loopToken) {
    await nextVideoFrame(video);
    if (token !== loopToken || state.frozen || video.readyState < 2) continue;
    const width = video.videoWidth;
    const height = video.videoHeight;
    const start = performance.now();
    const raw = await detector.estimator.estimate(video, width, height);
    state.estimateMs = performance.now() - start;
    drawFrame(view, video, width, height, { mirrored: true });
    let pose = mirrorPose(raw, width);
    if (isGoodPose(pose)) {
      pose = filter.apply(pose, width, height, start / 1000);
      drawSkeleton(view, pose);
      state.pose = pose;
      stream.send(query(pose, width, height)).then((reply) => {
        if (!reply || token !== loopToken || state.frozen) return;
        if (reply.type === 'matches') {
          matchRate.tick();
          showMatches(reply.matches);
        }
      });
    } else {
      filter.reset();
      detector.estimator.reset();
      state.pose = null;
      showMatches([]);
    }
    frameRate.tick();
  }
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
  filter.reset();
  loopToken += 1;
  cameraLoop(loopToken);
}

// --- a still photo -----------------------------------------------------------------------

async function usePhoto(file) {
  if (!detector) return;
  loopToken += 1; // stops the camera loop
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
  const pose = await detector.estimator.estimateStill(canvas, width, height);
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
  if (view === 'coverage') coverage.load().then(() => coverage.place(state.pose));
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

setInterval(() => {
  const parts = [state.backend ? `${MODELS[state.model].label} · ${state.backend}` : 'loading'];
  if (state.source === 'camera' && state.ready && state.frames > 0) {
    parts.push(`${state.fps.toFixed(0)} fps`, `${state.estimateMs.toFixed(0)} ms/pose`);
  }
  ui.stats.textContent = parts.join(' · ');
}, 500);

// --- start -------------------------------------------------------------------------------

async function loadModel(name) {
  loopToken += 1;
  state.ready = false;
  state.model = name;
  if (detector) detector.estimator.model.dispose();
  detector = null;
  try {
    detector = await createDetector(name, {
      backend: params.get('backend'),
      onProgress: (fraction, text) => messages.show('model', `${text}…`, { progress: fraction }),
    });
  } catch (error) {
    messages.show('model', `The pose model could not be loaded: ${error.message}. `
      + 'Is web/node_modules installed (make setup-node)?', { kind: 'error' });
    return;
  }
  messages.clear('model');
  Object.assign(state, { backend: detector.backend, timings: detector.timings, ready: true });
  state.detector = detector;
  document.body.dataset.ready = 'true';
  if (state.source === 'camera') useCamera();
}

for (const [name, spec] of Object.entries(MODELS)) {
  ui.model.append(new Option(spec.label, name, false, name === state.model));
}
ui.model.addEventListener('change', () => loadModel(ui.model.value));
if (['explore', 'coverage'].includes(params.get('view'))) setView(params.get('view'));
loadModel(state.model);
