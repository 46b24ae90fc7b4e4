// What the person is told about the server: the match stream's state as a message.

export function watchServer({ stream, state, messages }) {
  stream.addEventListener('status', ({ detail }) => {
    state.connection = detail.state;
    if (detail.state === 'open') messages.clear('server');
    if (detail.state === 'closed') {
      const seconds = (detail.retryInMs / 1000).toFixed(1);
      messages.show('server', `The server cannot be reached; trying again in ${seconds} s.`,
        { kind: 'error' });
    }
  });
  stream.addEventListener('error-frame', ({ detail }) => {
    if (detail.code !== 'bad_pose') console.warn('server:', detail.code, detail.detail);
  });
}
