// The footer: which model runs where and how fast, and what the server holds.
import { health } from './connection.js';
import { MODELS } from './detector.js';

export function startFooter({ ui, state }) {
  health().then((info) => {
    ui.bankSize.textContent = info ? `${info.bank_size.toLocaleString()} poses`
      : 'the server did not answer';
    ui.queryLog.hidden = !info?.query_log;
  });
  setInterval(() => {
    const label = MODELS[state.model] ? MODELS[state.model].label : state.model;
    const parts = [state.ready ? `${label} · ${state.backend}` : `loading ${label}…`];
    if (state.source === 'camera' && state.ready && state.frames > 0) {
      parts.push(`${state.fps.toFixed(0)} fps`, `${state.estimateMs.toFixed(0)} ms/pose`);
    }
    ui.stats.textContent = parts.join(' · ');
  }, 500);
}
