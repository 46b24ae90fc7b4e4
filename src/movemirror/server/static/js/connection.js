// The match stream: a WebSocket to /api/stream that reconnects with backoff. Only keypoints
// are ever sent. At most one query is in flight; a newer pose replaces one still waiting,
// so a slow link shows the latest pose's matches rather than a growing backlog.
//
// Its states, as 'status' events: connecting, open, silent (open, but no reply to a query for
// silentAfterMs), and closed (with the time of the next try, retryAt).

export class MatchStream extends EventTarget {
  constructor(url = MatchStream.defaultUrl(),
    { minDelayMs = 500, maxDelayMs = 10000, silentAfterMs = 3000 } = {}) {
    super();
    Object.assign(this, { url, minDelayMs, maxDelayMs, silentAfterMs });
    this.state = null;
    this.sentAt = 0;
    this.delay = minDelayMs;
    this.socket = null;
    this.inFlight = null;
    this.waiting = null;
    this.nextId = 1;
    this.sent = 0;
    this.received = 0;
    this.connect();
  }

  static defaultUrl() {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${window.location.host}/api/stream`;
  }

  get open() {
    return this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  connect() {
    this.emit('status', { state: 'connecting' });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.emit('status', { state: 'open' });
      this.flush();
    };
    socket.onmessage = (event) => this.onReply(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.inFlight = null;
      const wait = this.delay * (0.8 + 0.4 * Math.random());
      this.delay = Math.min(this.delay * 2, this.maxDelayMs);
      this.emit('status', { state: 'closed', code: event.code, retryInMs: wait,
        retryAt: performance.now() + wait });
      this.timer = setTimeout(() => this.connect(), wait);
    };
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.checkSilence(), 250);
  }

  /** An open socket that leaves a query unanswered for silentAfterMs is 'silent'. */
  checkSilence(now = performance.now()) {
    if (!this.open || !this.inFlight) return;
    const waited = now - this.sentAt;
    if (waited >= this.silentAfterMs) this.emit('status', { state: 'silent', waitedMs: waited });
  }

  /** Queue a pose query ({keypoints, width, height, k, metric, mirror}); resolves on reply. */
  send(query) {
    return new Promise((resolve) => {
      if (this.waiting) this.waiting.resolve(null); // superseded by a newer pose
      this.waiting = { query: { ...query, id: this.nextId++ }, resolve };
      this.flush();
    });
  }

  flush() {
    if (this.inFlight || !this.waiting || !this.open) return;
    this.inFlight = this.waiting;
    this.waiting = null;
    this.socket.send(JSON.stringify(this.inFlight.query));
    this.sentAt = performance.now();
    this.sent += 1;
  }

  onReply(reply) {
    this.received += 1;
    this.delay = this.minDelayMs; // a server that answers (not one that only accepts and drops)
    if (this.state === 'silent') this.emit('status', { state: 'open' });
    const pending = this.inFlight;
    if (pending && reply.id === pending.query.id) {
      this.inFlight = null;
      pending.resolve(reply);
    }
    if (reply.type === 'error') this.emit('error-frame', reply);
    this.flush();
  }

  emit(type, detail) {
    if (type === 'status') this.state = detail.state;
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** GET /api/health, or null when the server cannot be reached. */
export async function health() {
  try {
    const reply = await fetch('/api/health', { cache: 'no-store' });
    return reply.ok ? reply.json() : null;
  } catch {
    return null;
  }
}

/** POST /api/search for one pose: the still-photo path. */
export async function searchOnce(query) {
  const reply = await fetch('/api/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(query),
  });
  const body = await reply.json();
  if (!reply.ok) {
    const detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    throw new Error(detail);
  }
  return body;
}
