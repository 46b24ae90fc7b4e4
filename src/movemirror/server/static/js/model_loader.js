// The pose model: the menu of models, and loading one (with progress) into the page.
import { createDetector, MODELS } from './detector.js';

export class ModelLoader {
  /**
   * app: {ui, state, messages, cameraLoop}; onReady() runs when a model is loaded;
   * onProgress(text) hears what is loading.
   */
  constructor(app, { backend = null, onReady = () => {}, onProgress = () => {} } = {}) {
    Object.assign(this, { app, backend, onReady, onProgress });
    this.detector = null;
    const { ui, state } = app;
    ui.model.replaceChildren();
    for (const [name, spec] of Object.entries(MODELS)) {
      ui.model.append(new Option(spec.label, name, false, name === state.model));
    }
    ui.model.addEventListener('change', () => this.load(ui.model.value));
  }

  async load(name) {
    const { state, messages } = this.app;
    this.app.cameraLoop.stop();
    state.ready = false;
    state.model = name;
    if (this.detector) this.detector.estimator.model.dispose();
    this.detector = null;
    let detector;
    try {
      detector = await createDetector(name, {
        backend: this.backend,
        onProgress: (fraction, text) => {
          messages.show('model', `${text}…`, { progress: fraction });
          this.onProgress(`${text}… ${Math.round(100 * fraction)}%`);
        },
      });
    } catch (error) {
      const text = `The pose model could not be loaded: ${error.message}. `
        + 'Is web/node_modules installed (make setup-node)?';
      messages.show('model', text, { kind: 'error' });
      this.onProgress(text);
      return;
    }
    this.detector = detector;
    messages.clear('model');
    Object.assign(state, { backend: detector.backend, timings: detector.timings, ready: true });
    state.detector = detector;
    document.body.dataset.ready = 'true';
    this.onProgress(`${MODELS[name].label} is ready.`);
    this.onReady();
  }
}
