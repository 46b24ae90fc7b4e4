// A still photo instead of the webcam: picked or dropped, read on the device, never uploaded.

const MAX_SIDE = 1024;

/** Reads an image File into a canvas (at most MAX_SIDE px), or throws a readable Error. */
export async function photoToCanvas(file) {
  if (!file || !file.type.startsWith('image/')) {
    throw new Error(`${file ? file.name : 'That'} is not an image.`);
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas;
  } catch (error) {
    throw new Error(`${file.name} could not be read as an image.`, { cause: error });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Calls onFile(file) for a photo dropped anywhere on the page. */
export function acceptDrops(target, onFile, onHover = () => {}) {
  target.addEventListener('dragover', (event) => {
    event.preventDefault();
    onHover(true);
  });
  target.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) onHover(false);
  });
  target.addEventListener('drop', (event) => {
    event.preventDefault();
    onHover(false);
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) onFile(file);
  });
}
