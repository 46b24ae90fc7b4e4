// The page's side of the pose worker (pose_worker.js): load a model there, hand it frames as
// ImageBitmaps (transferred, not copied) and get keypoints back. Only keypoints come back.
import {
  CAMERA_FPS, farTooSlow, keepsCameraRate, poolCouldKeepRate,
} from './model_choice.js';
import { WorkerCount } from './worker_count.js';

/** Whether this browser can run the model in a module worker fed with ImageBitmaps. */
export function workerSupported() {
  return typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined'
    && typeof createImageBitmap === 'function';
}

export class PoseWorker {
  constructor(url = new URL('./pose_worker.js', import.meta.url)) {
    this.worker = new Worker(url, { type: 'module', name: 'pose' });
    this.waiting = new Map(); // id -> {resolve, reject, onProgress}
    this.nextId = 1;
    this.worker.onmessage = ({ data }) => this.receive(data);
    this.worker.onerror = (event) => {
      // A worker that cannot start (a module that fails to load) fails everything asked of it.
      event.preventDefault();
      const error = new Error(`the pose worker failed: ${event.message || 'it could not start'}`);
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
      this.failed = error;
    };
  }

  ask(message, transfer = [], onProgress = null) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  receive(data) {
    const entry = this.waiting.get(data.id);
    if (!entry) return;
    if (data.type === 'progress') {
      entry.onProgress?.(data.fraction, data.text);
      return;
    }
    this.waiting.delete(data.id);
    if (data.type === 'error') entry.reject(new Error(data.message));
    else if (data.type === 'dropped') entry.resolve(null);
    else entry.resolve(data);
    if (this.retiring && !this.waiting.size) this.worker.terminate();
  }

  /** Loads `name` in the worker; resolves {model, backend, msPerRun, timings}. */
  load(name, { backend = null, threads = null, onProgress = () => {} } = {}) {
    return this.ask({ type: 'load', name, backend, threads }, [], onProgress);
  }

  /**
   * Keypoints of a camera frame (the bitmap is handed over and closed there):
   * {keypoints, timing: {resizeMs, inferMs}}, or null when a newer frame replaced it before the
   * model got to it.
   */
  estimateFrame(bitmap, width, height, crop = null) {
    return this.ask({ type: 'frame', bitmap, width, height, crop }, [bitmap]);
  }

  /** The ms that `runs` poses of a blank frame take in this worker, one after another. */
  async probe(runs) {
    return (await this.ask({ type: 'probe', runs })).ms;
  }

  /** Keypoints of a still image (canvas or image): the photo stays on this device. */
  async estimateStill(source, width, height) {
    const bitmap = await createImageBitmap(source);
    const reply = await this.ask({ type: 'still', bitmap, width, height }, [bitmap]);
    return reply.keypoints;
  }

  /** Everyone in a still image, as still_people.js peopleInPhoto finds them. */
  async peopleInPhoto(source, width, height) {
    const bitmap = await createImageBitmap(source);
    const reply = await this.ask({ type: 'people', bitmap, width, height }, [bitmap]);
    return reply.people;
  }

  reset() {
    this.worker.postMessage({ type: 'reset' });
  }

  terminate() {
    this.worker.terminate();
    for (const { reject } of this.waiting.values()) reject(new Error('the pose worker stopped'));
    this.waiting.clear();
  }

  /** Stops once what was asked of it is answered (a photo being read is not lost). */
  retire() {
    this.retiring = true;
    if (!this.waiting.size) this.worker.terminate();
  }
}

/** The most workers the page may use: one a core, two at most (the page's thread needs little). */
export function defaultPoolSize() {
  return Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
}

// Poses each probe of the pool's size runs in every worker, and the least gain in poses a
// second that is worth more workers: each worker that shares a core lengthens every pose.
const PROBE_RUNS = 4;
const MIN_POOL_GAIN = 1.2;

/**
 * Whether `size` workers running at once (`togetherMs` for `runs` poses each) estimate enough
 * more poses a second than one alone (`aloneMs` for `runs`) to be worth it; with the ms a pose
 * each way.
 */
export function poolPays(aloneMs, togetherMs, size, runs = PROBE_RUNS, minGain = MIN_POOL_GAIN) {
  const alone = aloneMs / runs;
  const together = togetherMs / (size * runs); // the pool's ms a pose
  return { pays: alone >= minGain * together, aloneMs: alone, togetherMs: together };
}

/**
 * Pose workers, each with its own copy of the model, taking camera frames in turn. One worker
 * when it keeps camera rate by itself; otherwise up to `maxSize` are loaded (WASM runs on one
 * core a worker here, so two workers estimate two frames at once on a two-core device). How
 * many of them run: at first as a short measurement of them all at once against one alone
 * shows, then as the live loop's poses a second show (WorkerCount): on a busy machine they
 * share the cores with everything else and only lengthen each frame's wait. The page decides
 * where each worker looks (the crop around the last pose it saw).
 */
export class PoseWorkerPool {
  /** cameraFps: the camera rate one worker must keep for the pool to stay at one. */
  constructor(maxSize = defaultPoolSize(), cameraFps = CAMERA_FPS) {
    this.maxSize = maxSize;
    this.cameraFps = cameraFps;
    this.workers = [new PoseWorker()];
    this.active = 1; // the first `active` workers take frames; the others wait, loaded
    this.busy = new Set();
    this.count = new WorkerCount(1, 1, cameraFps);
    this.onResize = null; // (workers) => {}: told when the live loop changes the count
  }

  /** The workers taking frames. */
  get size() {
    return this.active;
  }

  /** The workers taking frames that have none now. */
  get idle() {
    return this.workers.slice(0, this.active).filter((worker) => !this.busy.has(worker));
  }

  get free() {
    return this.idle.length;
  }

  /** The live trials of the count of workers so far (WorkerCount.trials). */
  get countTrials() {
    return this.count.trials;
  }

  /**
   * Loads `name`, measures it in one worker, and in as many more as camera rate needs and the
   * measurement of them all at once pays for; resolves {model, backend, msPerRun, timings,
   * details, workers, msPerRunAlone, msPerRunLoading, poolTrial}: msPerRun is the pool's ms a
   * pose (poolTrial: {aloneMs, togetherMs, size}, measured when more than one worker was
   * tried); workers, the count it starts with (the others stay loaded for the live loop to
   * try). quietly(measure), when given, runs each timing (not the loading): Auto's trials
   * pause the live loop's poses in it, so that the model on trial does not share the cores
   * with the one it would replace (msPerRunLoading: the time a pose as it loaded, beside it).
   * On trial a pool is loaded only if it could keep camera rate at best.
   */
  async load(name, { onProgress = () => {}, quietly = null, ...options } = {}) {
    const first = await this.workers[0].load(name, { ...options, onProgress });
    const aloneMs = quietly ? await this.timeAlone(quietly) : first.msPerRun;
    const fps = this.cameraFps;
    const grow = !keepsCameraRate(aloneMs, fps)
      && (!quietly || poolCouldKeepRate(aloneMs, this.maxSize, fps));
    const wanted = grow ? this.maxSize : 1;
    while (this.workers.length > wanted) this.workers.pop().terminate();
    while (this.workers.length < wanted) this.workers.push(new PoseWorker());
    if (wanted > 1) onProgress(0.95, `Starting ${wanted} workers to keep up with the camera`);
    await Promise.all(this.workers.slice(1).map((worker) => worker.load(name, options)));
    const size = this.workers.length;
    let msPerRun = aloneMs;
    let poolTrial = null;
    let active = 1;
    if (size > 1) {
      const together = async () => {
        const start = performance.now();
        await Promise.all(this.workers.map((worker) => worker.probe(PROBE_RUNS)));
        return performance.now() - start;
      };
      // On trial, alone as timed above; otherwise alone and together back to back.
      const trial = quietly
        ? poolPays(aloneMs * PROBE_RUNS, await quietly(together), size)
        : poolPays(await this.workers[0].probe(PROBE_RUNS), await together(), size);
      poolTrial = { aloneMs: trial.aloneMs, togetherMs: trial.togetherMs, size };
      active = trial.pays ? size : 1;
      msPerRun = trial.pays ? trial.togetherMs : trial.aloneMs;
    }
    this.count = new WorkerCount(size, active, fps);
    this.setActive(active);
    return { ...first, msPerRun, workers: this.size, msPerRunAlone: aloneMs,
      msPerRunLoading: first.msPerRun, poolTrial };
  }

  /** The live loop paused its frames a while: see WorkerCount.interrupt. */
  interrupted() {
    this.count.interrupt();
  }

  /** The first `active` workers take frames from now on. */
  setActive(active) {
    const changed = active !== this.active;
    this.active = active;
    if (changed) this.onResize?.(active);
  }

  /**
   * The first worker's ms a pose, timed one pose at a time inside quietly() (so the loop it
   * pauses gets its poses in between), PROBE_RUNS poses, or one when that one is far too slow.
   */
  async timeAlone(quietly) {
    const times = [];
    while (times.length < PROBE_RUNS) {
      times.push(await quietly(() => this.workers[0].probe(1)));
      if (farTooSlow(times[0], this.maxSize, this.cameraFps)) break;
    }
    return times.reduce((sum, ms) => sum + ms, 0) / times.length;
  }

  /** A camera frame to a free worker (check `free` first); see PoseWorker.estimateFrame. */
  async estimateFrame(bitmap, width, height, crop = null) {
    const [worker] = this.idle;
    if (!worker) throw new Error('no pose worker is free');
    this.busy.add(worker);
    let reply = null;
    try {
      reply = await worker.estimateFrame(bitmap, width, height, crop);
      return reply;
    } finally {
      this.busy.delete(worker);
      if (reply) {
        const active = this.count.pose(performance.now());
        if (active !== this.active) this.setActive(active);
      }
    }
  }

  estimateStill(source, width, height) {
    return this.workers[0].estimateStill(source, width, height);
  }

  peopleInPhoto(source, width, height) {
    return this.workers[0].peopleInPhoto(source, width, height);
  }

  reset() {} // each frame comes with its crop: the workers keep no track of the person

  terminate() {
    for (const worker of this.workers) worker.terminate();
  }

  /** Stops each worker once what was asked of it is answered (the pool was replaced). */
  retire() {
    for (const worker of this.workers) worker.retire();
  }
}
