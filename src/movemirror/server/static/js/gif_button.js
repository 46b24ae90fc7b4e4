// The "Make a GIF" button: records the person beside their match, then shows the GIF with
// its size, a download link and the share sheet. Only with the live camera.
import { GifRecorder } from './gif.js';
import { GifPreview } from './gif_preview.js';

/** The match's credit and licence for the GIF's last frame, or null when it has neither. */
export function creditLine(match) {
  const given = match ? [match.credit, match.licence].filter(Boolean) : [];
  return given.length ? ['Match:', ...given].join(' ') : null;
}

/** Returns {setCameraLive(on)}; state.gifPhase tells the tests (countdown, recording,
 * encoding) when the camera loop runs beside the GIF's work. */
export function wireGifButton({ ui, state, messages, matchImage, matchSkeleton }) {
  const recorder = new GifRecorder();
  const preview = new GifPreview(ui.gifPreview);
  let cameraLive = false;
  const update = () => {
    ui.gifButton.disabled = !cameraLive || recorder.busy;
    ui.gifButton.title = cameraLive ? '' : 'Needs the camera';
  };
  update();

  ui.gifButton.addEventListener('click', async () => {
    state.gifPhase = 'countdown';
    const recording = recorder.record({
      person: ui.view,
      matchImage,
      matchSkeleton,
      credit: () => creditLine(state.shown),
      onCountdown: (n) => {
        if (n === 0) state.gifPhase = 'recording';
        if (n === null) state.gifPhase = 'encoding';
        ui.countdown.hidden = n === null;
        ui.countdown.textContent = n === 0 ? '● REC' : String(n ?? '');
        ui.countdown.classList.toggle('recording', n === 0);
      },
      onProgress: (fraction, text) => messages.show('gif', text, { progress: fraction }),
    });
    update();
    try {
      const blob = await recording;
      messages.clear('gif');
      state.gifBytes = blob.size;
      preview.show(blob);
    } catch (error) {
      messages.show('gif', `The GIF could not be made: ${error.message}`, { kind: 'error' });
    } finally {
      state.gifPhase = null;
      update();
    }
  });

  return {
    setCameraLive(on) {
      cameraLive = on;
      update();
    },
  };
}
