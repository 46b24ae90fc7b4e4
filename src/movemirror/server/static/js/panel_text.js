// What the match panel says when it has no match to show, from the page's state alone.

export function panelText(state) {
  if (state.source === 'photo') {
    switch (state.photoStatus) {
      case 'waiting': return 'The photo is read as soon as the pose model has loaded…';
      case 'finding': return 'Finding the people in the photo…';
      case 'nobody': return 'No person was found in this photo: try another one, or go back to '
        + 'the camera.';
      case 'unreadable': return 'That file could not be read as a photo: try another one.';
      case 'failed': return 'No matches for this photo: the server did not answer.';
      default: return 'Looking for the match of this photo…';
    }
  }
  if (state.cameraError) return 'No camera: use a photo instead (button above, or drop one).';
  if (state.connection === 'silent' || state.connection === 'closed') {
    return 'Waiting for the server: your matches appear as soon as it answers.';
  }
  if (!state.ready) return 'Loading the pose model…';
  if (!state.cameraLive) {
    return 'Waiting for the camera: allow it when the browser asks, or use a photo instead '
      + '(button above).';
  }
  if (!state.pose) return 'Step into view of the camera, whole body if you can.';
  return 'Looking for your match…';
}
