// The footer: which model runs where (and why that one) and how fast, and what the server holds.
import { health } from './connection.js';
import { MODELS } from './detector.js';
import { AUTO, START_MODEL } from './model_choice.js';

/** [which model runs, why that one (or '')] for the footer. */
function modelStatus(state) {
  if (!state.ready) {
    const first = state.model === AUTO ? START_MODEL : state.model; // Auto starts on the fastest
    return [`loading ${MODELS[first]?.label ?? first}…`, ''];
  }
  const label = MODELS[state.model]?.label ?? state.model;
  if (state.modelTrial) { // Auto runs this one while it tries a more accurate one
    const trying = MODELS[state.modelTrial.model]?.label ?? state.modelTrial.model;
    return [`${label}; trying ${trying}…`, ''];
  }
  const reason = state.modelChoice ? state.modelChoice.reason : '';
  return [`${label}${reason ? ' (chosen for this device' : ''}`, reason];
}

function where(state, workers = state.workers) {
  const place = state.loop === 'main' ? 'on the page\'s thread'
    : `in ${workers} worker${workers === 1 ? '' : 's'}`;
  return `${state.backend} ${place}`;
}

// Figures padded to a fixed count of digits (figure spaces, as wide as a digit in the
// footer's tabular figures), so that a figure's change never rewraps the footer.
const FIGURE_SPACE = '\u2007';
const figure = (value, digits) => value.toFixed(0).padStart(digits, FIGURE_SPACE);

/** The live part: where the model runs, and the camera loop's rates when it runs. */
function live(state, running, workers = state.workers) {
  const rates = running
    ? ` · ${figure(state.fps, 2)} fps · ${figure(state.estimateMs, 3)} ms/pose` : '';
  return `${where(state, workers)}${rates}`;
}

/** Fills `element` with the status; the reason sits in its own span, which a phone's narrow
 * footer leaves out (app.css) so that the mirror keeps the screen. The live part sits in a
 * span as wide as its widest form (data-widest, app.css), so that neither the count of
 * workers nor a figure moves the text after it. */
function render(element, [status, reason], liveText, widest) {
  const whole = `${status}${reason ? `: ${reason})` : ''}${liveText ? ` · ${liveText}` : ''}`;
  if (element.dataset.text === whole) return; // unchanged: leave the DOM (and selection) be
  element.dataset.text = whole;
  const why = document.createElement('span');
  why.className = 'reason';
  why.textContent = reason ? `: ${reason}` : '';
  const parts = [status, why];
  if (reason) parts.push(')');
  if (liveText) {
    const figures = document.createElement('span');
    figures.className = 'live';
    figures.dataset.widest = widest;
    figures.append(document.createElement('span'));
    figures.firstChild.textContent = liveText;
    parts.push(' · ', figures);
  }
  element.replaceChildren(...parts);
  element.title = reason ? `Why this model: ${reason}` : '';
}

/** Shows the footer now and every half second; returns the function that shows it now (the
 * page calls it when a model is ready, so that the footer does not lag the first matches). */
export function startFooter({ ui, state }) {
  health().then((info) => {
    ui.bankSize.textContent = info ? `${info.bank_size.toLocaleString()} poses`
      : 'the server did not answer';
    ui.queryLog.hidden = !info?.query_log;
  });
  const show = () => {
    const running = state.source === 'camera' && state.ready && state.frames > 0;
    // as wide as with its figures even before they come: their coming must not rewrap either
    const widest = live({ ...state, fps: 88, estimateMs: 888 }, true, Math.max(2, state.workers));
    render(ui.stats, modelStatus(state), state.ready ? live(state, running) : '', widest);
  };
  show();
  setInterval(show, 500);
  return show;
}
