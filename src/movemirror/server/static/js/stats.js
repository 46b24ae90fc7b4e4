// Rolling rates for the status line and the tests: frames and matches per second.

export class Rate {
  constructor(windowMs = 2000) {
    this.windowMs = windowMs;
    this.times = [];
    this.total = 0;
  }

  tick(now = performance.now()) {
    this.total += 1;
    this.times.push(now);
    while (this.times.length && now - this.times[0] > this.windowMs) this.times.shift();
  }

  perSecond(now = performance.now()) {
    const recent = this.times.filter((t) => now - t <= this.windowMs);
    if (recent.length < 2) return 0;
    return ((recent.length - 1) * 1000) / (recent[recent.length - 1] - recent[0]);
  }
}
