// Where the person comes from: the camera, or a still photo picked or dropped.
import { CameraError, startCamera, stopCamera } from './camera.js';
import { acceptDrops } from './still.js';

export class Sources {
  /** app: {ui, state, messages, cameraLoop, photo, gif, clearHold(), showMatches()} */
  constructor(app) {
    this.app = app;
    this.asked = 0; // camera starts asked for: only the latest may go on
    this.pendingPhoto = null; // a photo chosen before the model was ready
    const { ui } = app;
    ui.photoButton.addEventListener('click', () => ui.photoInput.click());
    ui.photoInput.addEventListener('change', () => {
      if (ui.photoInput.files[0]) this.usePhoto(ui.photoInput.files[0]);
      ui.photoInput.value = '';
    });
    ui.cameraButton.addEventListener('click', () => this.useCamera());
    acceptDrops(document.body, (file) => this.usePhoto(file),
      (on) => document.body.classList.toggle('dropping', on));
  }

  setSource(source) {
    this.app.state.source = source;
    document.body.dataset.source = source;
    this.app.ui.cameraButton.hidden = source === 'camera';
  }

  /** The GIF needs the live camera: with it refused, or a photo, its button is disabled. */
  setCameraLive(on) {
    this.app.state.cameraLive = on;
    if (this.app.gif) this.app.gif.setCameraLive(on);
  }

  async useCamera() {
    const { ui, state, messages } = this.app;
    this.pendingPhoto = null;
    this.setSource('camera');
    messages.clear('photo'); // a photo's error is no longer news
    state.cameraError = null;
    state.pose = null;
    state.people = [];
    ui.people.hidden = true;
    this.app.clearHold();
    this.app.showMatches([]);
    stopCamera(ui.video);
    this.setCameraLive(false);
    this.asked += 1;
    const { asked } = this;
    try {
      messages.show('camera', 'Starting the camera…');
      await startCamera(ui.video);
      messages.clear('camera');
      if (asked !== this.asked) { // a photo (or a newer start) came first
        if (this.app.state.source !== 'camera') stopCamera(ui.video);
        return;
      }
    } catch (error) {
      if (asked !== this.asked) return;
      const text = error instanceof CameraError ? error.message : String(error);
      messages.show('camera', text, { kind: 'error' });
      state.cameraError = text;
      return;
    }
    this.setCameraLive(true);
    this.app.clearHold();
    this.app.cameraLoop.start();
  }

  async usePhoto(file) {
    this.asked += 1; // a camera still starting is not wanted any more
    this.app.cameraLoop.stop();
    stopCamera(this.app.ui.video);
    this.setCameraLive(false);
    this.setSource('photo');
    if (!this.app.detector()) { // the model still loads: the photo waits for it
      this.pendingPhoto = file;
      this.app.state.photoStatus = 'waiting';
      return;
    }
    this.pendingPhoto = null;
    await this.app.photo.use(file);
  }

  /** Reads the photo chosen while the model loaded, now that it has; false if none was. */
  usePendingPhoto() {
    const file = this.pendingPhoto;
    if (file) this.usePhoto(file);
    return Boolean(file);
  }
}
