// A still photo instead of the camera: everyone in it found in this browser (upright, see
// still_people.js), a chooser when there are several, and the chosen person's pose searched
// once over HTTP. The photo itself never leaves the page.
import { searchOnce } from './connection.js';
import { drawFrame, drawSkeleton } from './draw.js';
import { isGoodPose } from './keypoints.js';
import { photoToCanvas } from './still.js';
import { peopleInPhoto } from './still_people.js';

export class PhotoMode {
  /** app: {ui, state, messages, detector(), query(...), showMatches(...), clearHold()} */
  constructor(app) {
    this.app = app;
    this.canvas = null;
  }

  async use(file) {
    const { ui, state, messages } = this.app;
    const detector = this.app.detector();
    if (!detector) return;
    messages.clear('camera');
    state.pose = null;
    state.people = [];
    state.photoStatus = 'finding';
    this.showChooser();
    this.app.clearHold();
    this.app.showMatches([]);
    let canvas;
    try {
      canvas = await photoToCanvas(file);
    } catch (error) {
      state.photoStatus = 'unreadable';
      messages.show('photo', error.message, { kind: 'error' });
      return;
    }
    messages.clear('photo');
    this.canvas = canvas;
    const { width, height } = canvas;
    drawFrame(ui.view, canvas, width, height);
    const { estimator } = detector;
    const people = await peopleInPhoto(estimator, canvas, width, height,
      () => estimator.estimateStill(canvas, width, height));
    state.people = people.filter((person) => isGoodPose(person.keypoints));
    state.photoSize = [width, height];
    if (state.people.length === 0) {
      state.photoStatus = 'nobody';
      messages.show('photo', 'No person could be made out in this photo. Try another one.');
      this.app.showMatches([]);
      return;
    }
    this.showChooser();
    await this.choose(0);
  }

  /** Makes person i (largest first) the one matched. */
  async choose(i) {
    const { ui, state } = this.app;
    state.person = i;
    state.pose = state.people[i].keypoints;
    const [width, height] = state.photoSize;
    drawFrame(ui.view, this.canvas, width, height);
    drawSkeleton(ui.view, state.pose);
    if (state.people.length > 1) this.drawNumbers();
    for (const [j, button] of [...ui.peopleButtons.children].entries()) {
      button.setAttribute('aria-pressed', String(j === i));
    }
    await this.search();
  }

  drawNumbers() {
    const ctx = this.app.ui.view.getContext('2d');
    const size = Math.max(16, Math.round(this.app.ui.view.width / 30));
    ctx.font = `bold ${size}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const [j, person] of this.app.state.people.entries()) {
      const x = (person.box[0] + person.box[2]) / 2;
      const y = Math.max(size, person.box[1] - 4);
      ctx.lineWidth = 4;
      ctx.strokeStyle = '#000';
      ctx.strokeText(String(j + 1), x, y);
      ctx.fillStyle = j === this.app.state.person ? '#ff4f8b' : '#fff';
      ctx.fillText(String(j + 1), x, y);
    }
  }

  showChooser() {
    const { ui, state } = this.app;
    const people = state.people || [];
    ui.people.hidden = people.length < 2;
    ui.peopleButtons.replaceChildren(...people.map((_, j) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = String(j + 1);
      button.setAttribute('aria-label', `Person ${j + 1}`);
      button.setAttribute('aria-pressed', 'false');
      button.addEventListener('click', () => this.choose(j));
      return button;
    }));
  }

  /** Searches the chosen person's pose (again, for new options). */
  async search() {
    const { state, messages } = this.app;
    const [width, height] = state.photoSize;
    try {
      const reply = await searchOnce(this.app.query(state.pose, width, height));
      state.matchRate.tick();
      this.app.clearHold();
      this.app.showMatches(reply.matches);
      state.photoStatus = 'found';
      messages.clear('photo');
    } catch (error) {
      state.photoStatus = 'failed';
      messages.show('photo', `No matches: ${error.message}`, { kind: 'error' });
    }
  }
}
