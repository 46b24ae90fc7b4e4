// The pose model: the menu of models, and loading one (with progress) where it runs: in the
// pose workers (the default) or on the page's own thread (?loop=main). "Auto", the default,
// starts at once on the fastest model and then tries the more accurate ones in the background
// (model_choice.js), switching to the most accurate that keeps camera rate here. On the
// page's own thread a trial would stall the loop, so there Auto measures them before it starts.
import { createDetector, loadTfjsHere, MODELS } from './detector.js';
import { AUTO, chooseModel, START_MODEL } from './model_choice.js';
import { PoseWorkerPool } from './pose_client.js';

const LABELS = Object.fromEntries(Object.entries(MODELS).map(([name, spec]) => [name,
  spec.label]));

// A phone's header has room for a short label only, beside "Make a GIF" (app.css: the
// menu's max-width at the same width).
const NARROW_SCREEN = window.matchMedia('(max-width: 700px)');

/** A model's option: its short label on a narrow screen, the whole kept as its title (not
 * as its aria-label: a name that does not contain the words shown fails WCAG 2.5.3). */
function modelOption({ label, short }, value, selected) {
  const option = new Option(label, value, false, selected);
  option.title = label;
  const fit = () => { option.textContent = NARROW_SCREEN.matches ? short : label; };
  fit();
  NARROW_SCREEN.addEventListener('change', fit);
  return option;
}

export class ModelLoader {
  /**
   * app: {ui, state, messages, cameraLoop}; backend, threads: forced TF.js backend and WASM
   * threads (null: the device's own); onReady() runs when a model is loaded; onProgress(text)
   * hears what is loading.
   */
  constructor(app, { backend = null, threads = null, onReady = () => {},
    onProgress = () => {} } = {}) {
    Object.assign(this, { app, backend, threads, onReady, onProgress });
    // {estimator, model, backend, msPerRun, timings, details, dispose}: the estimator is the
    // pool of pose workers, or the model itself on the page's thread
    this.detector = null;
    this.pool = null;
    this.token = 0;
    this.maxWorkers = app.state.workers; // state.workers becomes the workers in use
    const { ui, state } = app;
    ui.model.replaceChildren();
    ui.model.append(modelOption({ label: 'Auto (for this device)', short: 'Auto' }, AUTO,
      state.model === AUTO));
    for (const [name, spec] of Object.entries(MODELS)) {
      ui.model.append(modelOption(spec, name, name === state.model));
    }
    ui.model.addEventListener('change', () => this.load(ui.model.value));
  }

  async loadDetector(name, onProgress) {
    const { backend, threads } = this;
    const { state } = this.app;
    if (state.loop !== 'main') {
      this.pool ??= new PoseWorkerPool(this.maxWorkers, state.cameraFps);
      const loaded = await this.pool.load(name, { backend, threads, onProgress });
      return { ...loaded, estimator: this.pool, dispose: () => {} }; // a worker swaps models
    }
    await loadTfjsHere();
    const made = await createDetector(name, { backend, threads, onProgress });
    return { ...made, dispose: () => made.estimator.dispose() };
  }

  /** The most accurate model that keeps camera rate here, each measured before the page
   * starts, most accurate first (the page's own thread only: see upgrade for the workers). */
  async loadFastEnough(onProgress) {
    const measured = {};
    let choice = chooseModel(measured, LABELS, this.app.state.cameraFps);
    while (!choice.done) {
      this.detector?.dispose();
      this.detector = await this.loadDetector(choice.model, onProgress);
      measured[choice.model] = this.detector.msPerRun;
      choice = chooseModel(measured, LABELS, this.app.state.cameraFps);
    }
    if (this.detector.model !== choice.model) {
      this.detector.dispose();
      this.detector = await this.loadDetector(choice.model, onProgress);
    }
    return { model: choice.model, reason: choice.reason, measured,
      decidedMs: performance.now() };
  }

  async load(requested) {
    const { state, messages } = this.app;
    this.token += 1;
    const token = this.token;
    this.app.cameraLoop.stop();
    state.ready = false;
    state.requestedModel = requested;
    state.modelChoice = null;
    this.detector?.dispose();
    this.detector = null;
    const onProgress = (fraction, text) => {
      messages.show('model', `${text}…`, { progress: fraction });
      this.onProgress(`${text}… ${Math.round(100 * fraction)}%`);
    };
    state.modelTrial = null;
    state.modelTrials = [];
    const trials = requested === AUTO && state.loop !== 'main';
    try {
      if (requested === AUTO && !trials) {
        state.modelChoice = await this.loadFastEnough(onProgress);
      } else this.detector = await this.loadDetector(trials ? START_MODEL : requested, onProgress);
    } catch (error) {
      const text = `The pose model could not be loaded: ${error.message}. `
        + 'Is web/node_modules installed (make setup-node)?';
      messages.show('model', text, { kind: 'error' });
      this.onProgress(text);
      return;
    }
    if (token !== this.token) return; // another model was asked for meanwhile
    messages.clear('model');
    this.use(this.detector);
    document.body.dataset.ready = 'true';
    this.onProgress(`${LABELS[this.detector.model]} is ready.`);
    this.onReady();
    if (trials) this.upgrade(token);
  }

  /** The page's state follows `detector`, the one in use. */
  use(detector) {
    const { state } = this.app;
    if (detector.workers) state.workers = detector.workers;
    // the live loop may change the count of workers in use (pose_client.js, worker_count.js)
    if (detector.estimator instanceof PoseWorkerPool) {
      detector.estimator.onResize = (workers) => { state.workers = workers; };
    }
    Object.assign(state, { model: detector.model, backend: detector.backend,
      timings: detector.timings, backendDetails: detector.details, ready: true });
    state.detector = detector;
  }

  /**
   * Auto on the workers, once START_MODEL runs: tries the more accurate models one by one
   * (as chooseModel names them) in a pool of their own, beside the live loop, which pauses
   * its poses only while a model on trial is timed; switches to the one chosen. Each trial is
   * kept in state.modelTrials: what it measured, and the live loop's poses a second meanwhile.
   */
  async upgrade(token) {
    const { state } = this.app;
    const running = this.detector;
    const measured = { [running.model]: running.msPerRun };
    let choice = chooseModel(measured, LABELS, this.app.state.cameraFps);
    while (!choice.done) {
      state.modelTrial = { model: choice.model };
      const trial = await this.tryModel(choice.model, token);
      if (token !== this.token) {
        trial.pool.terminate();
        return; // another model was asked for meanwhile
      }
      state.modelTrials.push(trial.record);
      measured[choice.model] = trial.detector?.msPerRun ?? null;
      choice = chooseModel(measured, LABELS, this.app.state.cameraFps);
      if (choice.done && choice.model === trial.detector?.model) this.switchTo(trial);
      else trial.pool.terminate();
    }
    state.modelTrial = null;
    // decidedMs: when, in ms from the page's start (performance.now())
    state.modelChoice = { model: choice.model, reason: choice.reason, measured,
      trials: state.modelTrials, decidedMs: performance.now() };
  }

  /** Loads and times `name` in a pool of its own: {pool, detector (null: it failed), record};
   * once another model was asked for (token), it no longer pauses the loop. */
  async tryModel(name, token) {
    const { state, cameraLoop } = this.app;
    const pool = new PoseWorkerPool(this.maxWorkers, state.cameraFps);
    const started = performance.now();
    const posesBefore = state.frames;
    let pausedMs = 0;
    // pausedMs: how long the live loop had no pose sent, from when its last one came back
    const timed = async (measure) => {
      const paused = performance.now();
      try {
        return await measure();
      } finally {
        pausedMs += performance.now() - paused;
      }
    };
    const quietly = (measure) => (token === this.token
      ? cameraLoop.quietly(() => timed(measure)) : measure());
    let detector = null;
    let error = null;
    try {
      const loaded = await pool.load(name, { backend: this.backend, threads: this.threads,
        quietly });
      detector = { ...loaded, estimator: pool, dispose: () => {} };
    } catch (failure) {
      error = failure.message;
    }
    const trialMs = performance.now() - started;
    const record = { model: name, msPerRun: detector?.msPerRun ?? null,
      msPerRunLoading: detector?.msPerRunLoading ?? null, workers: detector?.workers ?? 0,
      error, trialMs, pausedMs, livePoses: state.frames - posesBefore,
      livePosesPerSecond: (1000 * (state.frames - posesBefore)) / trialMs };
    return { pool, detector, record };
  }

  /** The model on trial takes over: the camera loop restarts on its pool, the old one stops
   * once it has answered what was asked of it. */
  switchTo({ pool, detector }) {
    const old = this.pool;
    this.pool = pool;
    this.detector = detector;
    this.use(detector);
    if (this.app.cameraLoop.running) this.app.cameraLoop.start();
    old?.retire();
  }
}
