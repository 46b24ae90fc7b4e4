// Where the person comes from: the camera, or a still photo picked or dropped.
import { CameraError, startCamera, stopCamera } from './camera.js';
import { acceptDrops } from './still.js';

export class Sources {
  /** app: {ui, state, messages, flipbook, cameraLoop, photo, clearHold()} */
  constructor(app) {
    this.app = app;
    const { ui } = app;
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

  async useCamera() {
    const { ui, messages, flipbook } = this.app;
    this.setSource('camera');
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
    this.app.clearHold();
    this.app.cameraLoop.start();
  }

  async usePhoto(file) {
    if (!this.app.detector()) return;
    this.app.cameraLoop.stop();
    stopCamera(this.app.ui.video);
    this.setSource('photo');
    await this.app.photo.use(file);
  }
}
