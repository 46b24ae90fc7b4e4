// The webcam, with a message a person can act on for each way it can fail.

export class CameraError extends Error {}

function explain(error) {
  switch (error && error.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was refused. Allow the camera for this page in the browser\'s '
        + 'site settings and reload, or use a still photo instead.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one and reload, or use a still photo instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy in another program. Close it there and reload.';
    default:
      return `The camera could not be started (${error && error.message}).`;
  }
}

/** Starts the camera into `video`; resolves when frames flow, or throws CameraError. */
export async function startCamera(video, { width = 640, height = 480 } = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new CameraError('This browser gives no camera to this page: open it over https or '
      + 'from localhost, or use a still photo instead.');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: 'user', width: { ideal: width }, height: { ideal: height } },
    });
  } catch (error) {
    throw new CameraError(explain(error));
  }
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await new Promise((resolve) => {
    if (video.readyState >= 2) resolve();
    else video.addEventListener('loadeddata', resolve, { once: true });
  });
  await video.play();
  return stream;
}

export function stopCamera(video) {
  const stream = video.srcObject;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
}
