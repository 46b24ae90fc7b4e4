// What the page is doing, in one object: the modules write it, and the tests (or a curious
// person, in the console) read it as window.movemirror.
import { Rate } from './stats.js';

export function createPageState({ model, messages }) {
  const frameRate = new Rate();
  const matchRate = new Rate();
  return {
    view: 'mirror',
    source: 'camera',
    model,
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
    get fps() { return frameRate.perSecond(); },
    get matchesPerSecond() { return matchRate.perSecond(); },
    get frames() { return frameRate.total; },
    get replies() { return matchRate.total; },
    messages: () => [...messages.items.keys()].map((topic) => `${topic}: ${messages.text(topic)}`),
  };
}
