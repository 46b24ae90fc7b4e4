// The GIF just made, shown before it is saved: its size, a download link and, where the
// browser has one, the system share sheet.

export function formatBytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB`
    : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The GIF's file name, from when it was made (local time, to the second), so that a second
 * GIF saved or shared does not overwrite the first: movemirror-2026-12-02-070509.gif. */
export function gifName(madeAt) {
  const two = (n) => String(n).padStart(2, '0');
  const day = `${madeAt.getFullYear()}-${two(madeAt.getMonth() + 1)}-${two(madeAt.getDate())}`;
  const time = `${two(madeAt.getHours())}${two(madeAt.getMinutes())}${two(madeAt.getSeconds())}`;
  return `movemirror-${day}-${time}.gif`;
}

export class GifPreview {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = dialog.querySelector('img');
    this.size = dialog.querySelector('.gif-size');
    this.download = dialog.querySelector('a[download]');
    this.share = dialog.querySelector('.share');
    this.url = null;
    this.file = null;
    dialog.querySelector('.close').addEventListener('click', () => dialog.close());
    this.share.addEventListener('click', () => this.shareFile());
  }

  /** madeAt: when the GIF was made (a Date), which names its file. */
  show(blob, madeAt = new Date()) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(blob);
    const name = gifName(madeAt);
    this.file = new File([blob], name, { type: 'image/gif' });
    this.image.src = this.url;
    this.download.href = this.url;
    this.download.download = name;
    const bytes = document.createElement('span'); // "224 KB" kept on one line
    bytes.className = 'gif-bytes';
    bytes.textContent = formatBytes(blob.size);
    this.size.replaceChildren(`${name} · `, bytes);
    this.share.hidden = !(navigator.canShare && navigator.canShare({ files: [this.file] }));
    if (!this.dialog.open) this.dialog.showModal();
  }

  async shareFile() {
    try {
      await navigator.share({ files: [this.file], title: 'movemirror' });
    } catch (error) {
      if (error.name !== 'AbortError') this.size.textContent += ` · not shared: ${error.message}`;
    }
  }
}
