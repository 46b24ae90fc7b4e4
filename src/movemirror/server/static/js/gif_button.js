// The "Make a GIF" button: records the person beside their match, then offers the file.
import { GifRecorder } from './gif.js';

export function wireGifButton({ ui, state, messages, matchImage }) {
  const recorder = new GifRecorder();
  ui.gifButton.addEventListener('click', async () => {
    ui.gifButton.disabled = true;
    ui.gifLink.hidden = true;
    try {
      const blob = await recorder.record({
        person: ui.view,
        matchImage,
        onCountdown: (n) => {
          ui.countdown.hidden = n === null;
          ui.countdown.textContent = n === 0 ? '● REC' : String(n ?? '');
          ui.countdown.classList.toggle('recording', n === 0);
        },
        onProgress: (fraction, text) => messages.show('gif', text, { progress: fraction }),
      });
      messages.clear('gif');
      if (ui.gifLink.href) URL.revokeObjectURL(ui.gifLink.href);
      ui.gifLink.href = URL.createObjectURL(blob);
      ui.gifLink.hidden = false;
      state.gifBytes = blob.size;
      ui.gifLink.click();
    } catch (error) {
      messages.show('gif', `The GIF could not be made: ${error.message}`, { kind: 'error' });
    } finally {
      ui.gifButton.disabled = false;
    }
  });
}
