// A still photo instead of the camera: the pose found in this browser, searched once over
// HTTP. The photo itself never leaves the page.
import { searchOnce } from './connection.js';
import { drawFrame, drawSkeleton } from './draw.js';
import { isGoodPose } from './keypoints.js';
import { photoToCanvas } from './still.js';

export class PhotoMode {
  /** app: {ui, state, messages, detector(), query(...), showMatches(...), clearHold()} */
  constructor(app) {
    this.app = app;
  }

  async use(file) {
    const { ui, state, messages } = this.app;
    const detector = this.app.detector();
    if (!detector) return;
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
    this.app.clearHold();
    if (!isGoodPose(pose)) {
      state.pose = null;
      messages.show('photo', 'No person could be made out in this photo. Try another one.');
      this.app.showMatches([]);
      return;
    }
    drawSkeleton(ui.view, pose);
    state.pose = pose;
    state.photoSize = [width, height];
    await this.search();
  }

  /** Searches the photo's pose again (new options). */
  async search() {
    const { state, messages } = this.app;
    const [width, height] = state.photoSize;
    try {
      const reply = await searchOnce(this.app.query(state.pose, width, height));
      state.matchRate.tick();
      this.app.clearHold();
      this.app.showMatches(reply.matches);
    } catch (error) {
      messages.show('photo', `No matches: ${error.message}`, { kind: 'error' });
    }
  }
}
