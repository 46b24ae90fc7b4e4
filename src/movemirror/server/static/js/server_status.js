// What the person is told about the server, from the match stream's state: a message that
// counts down to the next try, and the last match greyed out while it is not live.

const TICK_MS = 200;

export function serverText(detail, now = performance.now()) {
  switch (detail.state) {
    case 'connecting':
      return 'Connecting to the server…';
    case 'silent':
      return `The server is not answering (no reply for ${Math.floor(detail.waitedMs / 1000)} s);`
        + ' still waiting.';
    case 'closed': {
      const seconds = Math.max(0, Math.ceil((detail.retryAt - now) / 1000));
      return seconds > 0 ? `The server cannot be reached; trying again in ${seconds} s.`
        : 'The server cannot be reached; trying again now.';
    }
    default:
      return null;
  }
}

export function watchServer({ stream, state, messages, ui }) {
  let last = null;
  let everOpen = false;
  const render = () => {
    if (!last) return;
    const text = serverText(last);
    // The first connection is quick and silent; after a loss, every state is said.
    const live = last.state === 'open' || (!everOpen && last.state === 'connecting');
    ui.flipbook.classList.toggle('stale', !live);
    ui.matchStale.hidden = live;
    ui.matchStale.textContent = live ? '' : 'Not live: the last match before the server went quiet';
    if (live || text === null) messages.clear('server');
    else messages.show('server', text, { kind: last.state === 'connecting' ? 'info' : 'error' });
  };
  stream.addEventListener('status', ({ detail }) => {
    state.connection = detail.state;
    if (detail.state === 'open') everOpen = true;
    last = detail;
    render();
  });
  setInterval(render, TICK_MS); // the countdown
  stream.addEventListener('error-frame', ({ detail }) => {
    if (detail.code !== 'bad_pose') console.warn('server:', detail.code, detail.detail);
  });
}
