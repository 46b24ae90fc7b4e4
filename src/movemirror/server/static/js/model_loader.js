// The pose model: the menu of models, and loading one (with progress) where it runs: in the
// pose workers (the default) or on the page's own thread (?loop=main). "Auto", the default,
// measures the most accurate model first and keeps the first that keeps camera rate here.
import { createDetector, loadTfjsHere, MODELS } from './detector.js';
import { AUTO, chooseModel } from './model_choice.js';
import { PoseWorkerPool } from './pose_client.js';

const LABELS = Object.fromEntries(Object.entries(MODELS).map(([name, spec]) => [name,
  spec.label]));

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
    const { ui, state } = app;
    ui.model.replaceChildren();
    ui.model.append(new Option('Auto (for this device)', AUTO, false,
      state.model === AUTO));
    for (const [name, spec] of Object.entries(MODELS)) {
      ui.model.append(new Option(spec.label, name, false, name === state.model));
    }
    ui.model.addEventListener('change', () => this.load(ui.model.value));
  }

  async loadDetector(name, onProgress) {
    const { backend, threads } = this;
    const { state } = this.app;
    if (state.loop !== 'main') {
      this.pool ??= new PoseWorkerPool(state.workers);
      const loaded = await this.pool.load(name, { backend, threads, onProgress });
      return { ...loaded, estimator: this.pool, dispose: () => {} }; // a worker swaps models
    }
    await loadTfjsHere();
    const made = await createDetector(name, { backend, threads, onProgress });
    return { ...made, dispose: () => made.estimator.dispose() };
  }

  /** The most accurate model that keeps camera rate here, measured most accurate first. */
  async loadFastEnough(onProgress) {
    const measured = {};
    let choice = chooseModel(measured, LABELS);
    while (!choice.done) {
      this.detector?.dispose();
      this.detector = await this.loadDetector(choice.model, onProgress);
      measured[choice.model] = this.detector.msPerRun;
      choice = chooseModel(measured, LABELS);
    }
    if (this.detector.model !== choice.model) {
      this.detector.dispose();
      this.detector = await this.loadDetector(choice.model, onProgress);
    }
    return { model: choice.model, reason: choice.reason, measured };
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
    try {
      if (requested === AUTO) state.modelChoice = await this.loadFastEnough(onProgress);
      else this.detector = await this.loadDetector(requested, onProgress);
    } catch (error) {
      const text = `The pose model could not be loaded: ${error.message}. `
        + 'Is web/node_modules installed (make setup-node)?';
      messages.show('model', text, { kind: 'error' });
      this.onProgress(text);
      return;
    }
    if (token !== this.token) return; // another model was asked for meanwhile
    const { detector } = this;
    messages.clear('model');
    if (detector.workers) state.workers = detector.workers;
    Object.assign(state, { model: detector.model, backend: detector.backend,
      timings: detector.timings, backendDetails: detector.details, ready: true });
    state.detector = detector;
    document.body.dataset.ready = 'true';
    this.onProgress(`${LABELS[detector.model]} is ready.`);
    this.onReady();
  }
}
