// How many pose workers the live loop keeps running, decided from the poses they deliver.
// The pool's trial at load (a few blank poses, alone and together) gives the first count, but
// a stall of a few ms during its 4 poses is enough to keep one worker where two deliver 1.5x
// the poses. So the live loop itself is measured: poses delivered a second, counted in short
// windows, with the workers it runs, then with the other count for a few windows; the count
// that delivers more (more workers only for MIN_GAIN times the poses: on a busy device two
// workers that share the cores only lengthen each pose) is kept. The trial comes again when
// the rate drops, and from time to time (less often each time it confirms the count).
// Pure: the caller passes the time of each pose delivered and applies the count returned.

// Poses are counted over windows this long, and of this many poses at least (a slow model's
// window is longer: a rate of a few poses would be too coarse to compare).
export const WINDOW_MS = 1000;
export const WINDOW_POSES = 8;
// A window in which no pose came for this long is not counted: the loop was paused (Auto
// timing a model), the picture frozen or the camera stopped, whatever the workers could do.
export const STALL_MS = 1000;
export const TRIAL_WINDOWS = 2; // windows measured for each count (the first after a change
// is not: a worker taken out still brings back its last pose in it)
export const MIN_GAIN = 1.05;
// A window this far below the rate the count was kept for, twice running, calls a trial.
export const DROP = 0.85;
// ms between trials that confirmed the count: 30 s, doubling each time up to 4 minutes (a
// trial spends about 3 s at the other count: when that is the worse one, it costs poses).
export const RECHECK_MS = 30000;
export const MAX_RECHECK_MS = 240000;
// Windows within this ratio of each other measure a steady rate; a trial waits for one, for
// MAX_UNSTEADY windows at most.
export const STEADY = 1.2;
export const MAX_UNSTEADY = 3;
// A single worker that keeps this share of camera rate needs no trial of more.
export const KEEPS_RATE = 0.95;

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * Which of two counts (1 and `most`) delivers more poses: {count, rates: {[count]: poses/s}},
 * keeping the more workers only for `minGain` times the poses.
 */
export function betterCount(rates, most, minGain = MIN_GAIN) {
  const count = rates[most] >= minGain * rates[1] ? most : 1;
  return { count, rates };
}

export class WorkerCount {
  /** most: the workers loaded; start: the count the load's trial chose; cameraFps: the rate
   * one worker need not exceed. */
  constructor(most, start, cameraFps) {
    Object.assign(this, { most, count: start, cameraFps });
    this.window = null; // {start, last, poses}
    this.recent = []; // the last TRIAL_WINDOWS rates at `count` while holding it
    this.trial = null; // {from, to, skip, rates: []}
    this.keptRate = null; // the rate the count was kept for (its last trial, or its first windows)
    this.recheckMs = RECHECK_MS;
    this.nextTrial = null; // when the next trial is due (set at the first pose)
    this.slowWindows = 0;
    this.unsteady = 0; // windows a trial waited for a steady rate
    this.trials = []; // what each trial measured: {atMs, rates, count}
  }

  /** A pose delivered at `now` (ms); returns the count of workers to run from now on. */
  pose(now) {
    if (this.most < 2) return this.count;
    // At one worker short of camera rate there is no trial to wait for: more may deliver more.
    this.nextTrial ??= now + (this.count < this.most ? 0 : RECHECK_MS);
    const window = this.window;
    if (!window || now - window.last > STALL_MS) {
      this.window = { start: now, last: now, poses: 0 };
      return this.count;
    }
    window.poses += 1;
    window.last = now;
    if (now - window.start >= WINDOW_MS && window.poses >= WINDOW_POSES) {
      this.window = { start: now, last: now, poses: 0 };
      this.windowDone((1000 * window.poses) / (now - window.start), now);
    }
    return this.count;
  }

  /** The loop's poses were paused a while (Auto timing a model): the window under way is
   * not counted, since the pause, not the workers, set its rate. */
  interrupt() {
    this.window = null;
  }

  windowDone(rate, now) {
    if (this.trial) {
      this.trialWindow(rate, now);
      return;
    }
    this.recent = [...this.recent, rate].slice(-TRIAL_WINDOWS);
    if (this.recent.length < TRIAL_WINDOWS) return;
    this.keptRate ??= mean(this.recent); // the count the load chose, before any trial
    this.slowWindows = rate < DROP * this.keptRate ? this.slowWindows + 1 : 0;
    const keepsRate = this.count === 1 && mean(this.recent) >= KEEPS_RATE * this.cameraFps;
    if (keepsRate || (now < this.nextTrial && this.slowWindows < 2)) return;
    // The count held is measured by its last windows: while the rate is still moving (a
    // window from before a change in the machine's load) one more is waited for, a few at most.
    const steady = Math.max(...this.recent) <= STEADY * Math.min(...this.recent);
    this.unsteady = steady ? 0 : this.unsteady + 1;
    if (!steady && this.unsteady <= MAX_UNSTEADY) return;
    const to = this.count === 1 ? this.most : 1;
    this.unsteady = 0;
    this.trial = { from: this.count, to, skip: true, rates: [] };
    this.count = to;
  }

  trialWindow(rate, now) {
    const { trial } = this;
    if (trial.skip) {
      trial.skip = false;
      return;
    }
    trial.rates.push(rate);
    if (trial.rates.length < TRIAL_WINDOWS) return;
    const rates = { [trial.from]: mean(this.recent), [trial.to]: mean(trial.rates) };
    const { count } = betterCount(rates, this.most);
    this.trials.push({ atMs: now, rates, count });
    this.recheckMs = count === trial.from ? Math.min(2 * this.recheckMs, MAX_RECHECK_MS)
      : RECHECK_MS;
    this.nextTrial = now + this.recheckMs;
    this.keptRate = rates[count];
    this.trial = null;
    this.slowWindows = 0;
    // Going back to the count held: its windows before the trial still stand for it.
    this.recent = count === trial.to ? trial.rates.slice(-TRIAL_WINDOWS) : this.recent;
    this.count = count;
  }
}
