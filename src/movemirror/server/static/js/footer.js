// The footer: which model runs where (and why that one) and how fast, and what the server holds.
import { health } from './connection.js';
import { MODELS } from './detector.js';

function modelStatus(state) {
  if (!state.ready) {
    const loading = MODELS[state.model]?.label ?? 'the most accurate model this device keeps '
      + 'at camera rate';
    return `loading ${loading}…`;
  }
  const where = state.loop === 'main' ? 'on the page\'s thread'
    : `in ${state.workers === 1 ? 'a worker' : `${state.workers} workers`}`;
  const label = MODELS[state.model]?.label ?? state.model;
  const chosen = state.modelChoice ? `${label} (chosen for this device: ${state.modelChoice.reason})`
    : label;
  return `${chosen} · ${state.backend} ${where}`;
}

export function startFooter({ ui, state }) {
  health().then((info) => {
    ui.bankSize.textContent = info ? `${info.bank_size.toLocaleString()} poses`
      : 'the server did not answer';
    ui.queryLog.hidden = !info?.query_log;
  });
  setInterval(() => {
    const parts = [modelStatus(state)];
    if (state.source === 'camera' && state.ready && state.frames > 0) {
      parts.push(`${state.fps.toFixed(0)} fps`, `${state.estimateMs.toFixed(0)} ms/pose`);
    }
    ui.stats.textContent = parts.join(' · ');
  }, 500);
}
