// What the page is doing, in one object: the modules write it, and the tests (or a curious
// person, in the console) read it as window.movemirror.
import { Rate } from './stats.js';

export function createPageState({ model, loop, workers, cameraFps, messages }) {
  const frameRate = new Rate();
  const matchRate = new Rate();
  return {
    view: 'mirror',
    source: 'camera',
    model, // the model in use; 'auto' until the page has chosen one
    modelChoice: null, // {model, reason, measured, trials} once the page chose the model itself
    modelTrial: null, // {model}: the model Auto is trying in the background, if any
    modelTrials: [], // what each of Auto's background trials measured (model_loader.js)
    loop, // where the model runs: 'worker' (module Web Workers) or 'main' (this thread)
    workers, // pose workers on the worker loop
    cameraFps, // the camera rate the model Auto chooses must keep
    backend: null,
    timings: null,
    ready: false,
    frozen: false,
    pose: null,
    matches: [],
    shown: null,
    estimateMs: 0,
    frameRate,
    matchRate,
    cameraLoop: null, // the running loop (camera_loop.js), for its rates and frame timings
    get fps() { return frameRate.perSecond(); },
    get matchesPerSecond() { return matchRate.perSecond(); },
    get frames() { return frameRate.total; },
    get replies() { return matchRate.total; },
    get screenFps() { return this.cameraLoop ? this.cameraLoop.screen.perSecond() : 0; },
    get screenFrames() { return this.cameraLoop ? this.cameraLoop.screen.total : 0; },
    // Where each frame's time went (frame_timings.js), for the tests and bench page.
    frameTimings() {
      const loop = this.cameraLoop;
      if (!loop) return null;
      return { ...loop.timings.summary(), frames: loop.timings.frames,
        dropped: loop.dropped ?? 0, late: loop.late ?? 0, latencyFrom: loop.latencyFrom };
    },
    clearFrameTimings() { this.cameraLoop?.timings.clear(); },
    messages: () => [...messages.items.keys()].map((topic) => `${topic}: ${messages.text(topic)}`),
  };
}
