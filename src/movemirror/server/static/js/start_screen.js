// The first visit's start screen: what happens, that the image never leaves the device, what
// is loading, and a Start button (the camera is asked for only then). A returning visitor on
// this device goes straight to the camera.

export const STARTED_KEY = 'movemirror.started';

function remembered() {
  try {
    return window.localStorage.getItem(STARTED_KEY) === '1';
  } catch {
    return false; // storage refused: show the start screen each time
  }
}

export class StartScreen {
  /** onStart() runs once, on Start (or at once for a returning visitor). */
  constructor({ ui }, { onStart }) {
    Object.assign(this, { ui, onStart });
    this.started = remembered();
    if (this.started) return;
    ui.start.hidden = false;
    ui.startButton.focus();
    ui.startButton.addEventListener('click', () => this.start(), { once: true });
    ui.startPhoto.addEventListener('click', () => {
      ui.start.hidden = true; // the camera is not asked for; the next visit asks again
      ui.photoInput.click();
    });
  }

  status(text) {
    this.ui.startStatus.textContent = text;
  }

  start() {
    this.started = true;
    try {
      window.localStorage.setItem(STARTED_KEY, '1');
    } catch {
      // not remembered; nothing else is lost
    }
    this.ui.start.hidden = true;
    this.onStart();
  }
}
