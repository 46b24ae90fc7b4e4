// The GIF just made, shown before it is saved: its size, a download link and, where the
// browser has one, the system share sheet.

export function formatBytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB`
    : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
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

  show(blob) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(blob);
    this.file = new File([blob], 'movemirror.gif', { type: 'image/gif' });
    this.image.src = this.url;
    this.download.href = this.url;
    this.size.textContent = `movemirror.gif · ${formatBytes(blob.size)}`;
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
