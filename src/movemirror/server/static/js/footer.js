// The footer: which model runs where (and why that one) and how fast, and what the server holds.
import { health } from './connection.js';
import { MODELS } from './detector.js';
import { AUTO, START_MODEL } from './model_choice.js';

/** [what runs where, why that model (or '')] for the footer. */
function modelStatus(state) {
  if (!state.ready) {
    const first = state.model === AUTO ? START_MODEL : state.model; // Auto starts on the fastest
    return [`loading ${MODELS[first]?.label ?? first}…`, ''];
  }
  const where = state.loop === 'main' ? 'on the page\'s thread'
    : `in ${state.workers === 1 ? 'a worker' : `${state.workers} workers`}`;
  const label = MODELS[state.model]?.label ?? state.model;
  const rest = ` · ${state.backend} ${where}`;
  if (state.modelTrial) { // Auto runs this one while it tries a more accurate one
    const trying = MODELS[state.modelTrial.model]?.label ?? state.modelTrial.model;
    return [`${label}; trying ${trying}…`, '', rest];
  }
  const reason = state.modelChoice ? state.modelChoice.reason : '';
  return [`${label}${reason ? ' (chosen for this device' : ''}`, reason, rest];
}

/** Fills `element` with the status; the reason sits in its own span, which a phone's narrow
 * footer leaves out (app.css) so that the mirror keeps the screen. */
function render(element, [status, reason, rest = ''], extra) {
  const whole = `${status}${reason ? `: ${reason})` : ''}${rest}${extra}`;
  if (element.dataset.text === whole) return; // unchanged: leave the DOM (and selection) be
  element.dataset.text = whole;
  const why = document.createElement('span');
  why.className = 'reason';
  why.textContent = reason ? `: ${reason}` : '';
  element.replaceChildren(status, why, `${reason ? ')' : ''}${rest}${extra}`);
  element.title = reason ? `Why this model: ${reason}` : '';
}

export function startFooter({ ui, state }) {
  health().then((info) => {
    ui.bankSize.textContent = info ? `${info.bank_size.toLocaleString()} poses`
      : 'the server did not answer';
    ui.queryLog.hidden = !info?.query_log;
  });
  setInterval(() => {
    const rates = state.source === 'camera' && state.ready && state.frames > 0
      ? ` · ${state.fps.toFixed(0)} fps · ${state.estimateMs.toFixed(0)} ms/pose` : '';
    render(ui.stats, modelStatus(state), rates);
  }, 500);
}
