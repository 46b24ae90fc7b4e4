// The footer: which model runs where and how fast, and what the server holds.
import { health } from './connection.js';
import { MODELS } from './detector.js';

export function startFooter({ ui, state }) {
  health().then((info) => {
    if (info) ui.bankSize.textContent = `${info.bank_size.toLocaleString()} poses`;
    ui.queryLog.hidden = !info?.query_log;
  });
  setInterval(() => {
    const parts = [state.backend ? `${MODELS[state.model].label} · ${state.backend}` : 'loading'];
    if (state.source === 'camera' && state.ready && state.frames > 0) {
      parts.push(`${state.fps.toFixed(0)} fps`, `${state.estimateMs.toFixed(0)} ms/pose`);
    }
    ui.stats.textContent = parts.join(' · ');
  }, 500);
}
