// The camera loop: each camera frame -> pose (in this browser) -> the skeleton drawn over the
// mirrored frame -> the pose's query on the match stream -> the matches shown. CameraLoop
// runs one of two loops, which share one way of showing a pose and timing each frame:
// - WorkerLoop (the default): the model runs in pose workers (PoseWorkerPool, one a core).
//   Every camera frame is drawn and grabbed when it comes, while the workers estimate the ones
//   before; the newest grabbed frame goes to a worker as soon as one is free. So the model
//   never waits for drawing or for a frame, and the page never waits for the model.
// - MainThreadLoop (?loop=main, or a browser without module workers): the loop as it was,
//   model and drawing in turn on the page's thread; kept to measure against.
import { cropAround } from './crop.js';
import { drawFrame, drawSkeleton } from './draw.js';
import { FrameTimings } from './frame_timings.js';
import { isGoodPose, mirrorPose } from './keypoints.js';
import { KeypointsFilter } from './one_euro.js';
import { Rate } from './stats.js';

/** Calls callback(now, metadata) on the video's next frame (rAF where there is no rVFC). */
function onNextVideoFrame(video, callback) {
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(callback);
  else requestAnimationFrame((now) => callback(now, {}));
}

class Loop {
  /**
   * video: the camera's <video>; view: the canvas the person sees; estimator: the pose worker
   * or a main-thread estimator; filter: the one-euro KeypointsFilter; onPose(pose or null,
   * width, height, time): each frame's smoothed, mirrored pose (null: nobody made out) and
   * when the camera took it;
   * isFrozen(): whether the picture is frozen.
   */
  constructor({ video, view, estimator, filter, onPose, isFrozen = () => false }) {
    Object.assign(this, { video, view, estimator, filter, onPose, isFrozen });
    this.timings = new FrameTimings();
    this.screen = new Rate(); // camera frames put on the page per second
    this.running = false;
    this.pose = null;
    this.latencyFrom = null; // 'capture' (the camera's own time) or 'callback'
    this.lastPoseMs = 0;
  }

  start() {
    this.running = true;
    this.filter.reset();
    this.estimator.reset();
    this.next();
  }

  stop() {
    this.running = false;
  }

  next() {
    if (this.running) onNextVideoFrame(this.video, (now, metadata) => this.onFrame(now, metadata));
  }

  /** When the camera took the frame, in this page's performance.now() time. */
  captured(now, metadata) {
    const known = Number.isFinite(metadata.captureTime);
    this.latencyFrom = known ? 'capture' : 'callback';
    return known ? metadata.captureTime : now;
  }

  /** A frame's pose: mirrored like the picture, smoothed, drawn, handed on and timed. */
  show(raw, width, height, captured, times) {
    const drawStart = performance.now();
    drawFrame(this.view, this.video, width, height, { mirrored: true });
    let pose = mirrorPose(raw, width);
    const good = isGoodPose(pose);
    if (good) {
      pose = this.filter.apply(pose, width, height, captured / 1000);
      drawSkeleton(this.view, pose);
    }
    const drawn = performance.now();
    if (!good) {
      this.filter.reset();
      this.estimator.reset();
    }
    this.pose = good ? pose : null;
    this.lastPoseMs = (times.resize ?? 0) + (times.infer ?? 0); // the model's share, for the footer
    this.onPose(this.pose, width, height, captured);
    this.timings.add({
      ...times, draw: drawn - drawStart, send: performance.now() - drawn, latency: drawn - captured,
    });
  }
}

export class MainThreadLoop extends Loop {
  async onFrame(now, metadata) {
    if (!this.running) return;
    const { video } = this;
    if (this.isFrozen() || video.readyState < 2) {
      this.next();
      return;
    }
    const captured = this.captured(now, metadata);
    const width = video.videoWidth;
    const height = video.videoHeight;
    const raw = await this.estimator.estimate(video, width, height);
    if (!this.running) return;
    const { resizeMs, inferMs } = this.estimator.lastTiming;
    this.show(raw, width, height, captured, { grab: 0, resize: resizeMs, infer: inferMs });
    this.screen.tick();
    this.next();
  }
}

export class WorkerLoop extends Loop {
  constructor(options) {
    super(options);
    this.newest = null; // the newest grabbed frame, waiting for a worker to be free
    this.grabbed = 0; // frames grabbed, numbered in camera order
    this.lastShown = 0; // the number of the newest frame whose pose is on the page
    this.dropped = 0; // grabbed and replaced by a newer one before a worker was free
    this.late = 0; // estimated after a newer frame's pose was already shown (not shown)
    this.tracked = null; // the last pose seen, in frame pixels: where the next crop looks
    this.inFlight = 0; // frames with a worker now
    this.paused = false; // poses paused (Auto timing a model on trial); frames still drawn
  }

  /** Resolves once no frame is with a worker: from then on none is sent until resume(). */
  async pause() {
    this.paused = true;
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  resume() {
    this.paused = false;
    this.estimator.interrupted(); // the poses a second over the pause are not the workers'
    this.estimateNewest();
  }

  stop() {
    super.stop();
    this.newest?.bitmap.close();
    this.newest = null;
  }

  onFrame(now, metadata) {
    if (!this.running) return;
    this.next();
    const { video, view } = this;
    if (this.isFrozen() || video.readyState < 2) return;
    const width = video.videoWidth;
    const height = video.videoHeight;
    const captured = this.captured(now, metadata);
    drawFrame(view, video, width, height, { mirrored: true });
    if (this.pose) drawSkeleton(view, this.pose);
    this.screen.tick();
    this.grab(width, height, captured);
  }

  /** Every camera frame is grabbed while the workers run the ones before; the newest goes to
   * a worker the moment one is free, so the model never waits for a frame. */
  async grab(width, height, captured) {
    const start = performance.now();
    let bitmap;
    try {
      bitmap = await createImageBitmap(this.video);
    } catch {
      return; // the camera stopped meanwhile
    }
    if (!this.running) {
      bitmap.close();
      return;
    }
    this.grabbed += 1;
    const frame = { bitmap, width, height, captured, number: this.grabbed,
      grabMs: performance.now() - start, grabbedAt: performance.now() };
    if (this.newest) {
      this.newest.bitmap.close();
      this.dropped += 1;
    }
    this.newest = frame;
    if (this.estimator.free > 0) this.estimateNewest();
  }

  async estimateNewest() {
    const frame = this.newest;
    if (!frame || !this.running || this.paused || this.estimator.free === 0) return;
    this.newest = null;
    this.inFlight += 1;
    try {
      const sent = performance.now();
      const crop = cropAround(this.tracked, frame.width, frame.height);
      const reply = await this.estimator.estimateFrame(frame.bitmap, frame.width, frame.height,
        crop);
      const back = performance.now();
      if (!this.running || !reply) return;
      if (frame.number < this.lastShown) {
        this.late += 1; // another worker showed a newer frame meanwhile
        return;
      }
      this.lastShown = frame.number;
      const { resizeMs, inferMs } = reply.timing;
      this.show(reply.keypoints, frame.width, frame.height, frame.captured, {
        grab: frame.grabMs, wait: sent - frame.grabbedAt, resize: resizeMs, infer: inferMs,
        transfer: back - sent - resizeMs - inferMs,
      });
      this.tracked = this.pose ? reply.keypoints : null;
    } catch (error) {
      if (this.running) console.warn('pose worker:', error);
    } finally {
      this.inFlight -= 1;
    }
    this.estimateNewest();
  }
}

/** The page's camera loop, as the rest of the page starts and stops it. */
export class CameraLoop {
  /** app: {ui, state, stream, detector(), query(pose, width, height), showMatches(matches)} */
  constructor(app) {
    this.app = app;
    this.filter = new KeypointsFilter();
    this.token = 0;
    this.loop = null;
  }

  start() {
    this.stop();
    const { ui, state } = this.app;
    const Loop = state.loop === 'main' ? MainThreadLoop : WorkerLoop;
    const token = this.token;
    this.loop = new Loop({
      video: ui.video, view: ui.view, estimator: this.app.detector().estimator,
      filter: this.filter,
      onPose: (pose, width, height, time) => this.onPose(pose, width, height, time, token),
      isFrozen: () => state.frozen,
    });
    state.cameraLoop = this.loop;
    this.loop.start();
  }

  stop() {
    this.token += 1;
    this.loop?.stop();
    this.loop = null;
  }

  get running() {
    return this.loop !== null;
  }

  /**
   * Runs measure() with the loop's poses paused (the camera is still drawn), so that a model
   * timed meanwhile has the cores the running one leaves; resolves measure()'s result.
   */
  async quietly(measure) {
    const loop = this.loop;
    if (!loop?.pause) return measure(); // no loop, or the main-thread loop: nothing to pause
    await loop.pause();
    try {
      return await measure();
    } finally {
      loop.resume();
    }
  }

  /** time: when the camera took the frame (performance.now() time). */
  onPose(pose, width, height, time, token) {
    const { state, stream } = this.app;
    // An estimate of a frame grabbed before Freeze may land after it: the frozen pose and
    // matches stay (a frame without a person would otherwise empty them).
    if (state.frozen) return;
    if (pose) {
      state.pose = pose;
      stream.send(this.app.query(pose, width, height, time)).then((reply) => {
        if (!reply || token !== this.token || state.frozen) return;
        if (reply.type === 'matches') {
          state.matchRate.tick();
          this.app.showMatches(reply.matches);
          this.app.showMovement?.(reply, time);
        }
      });
    } else {
      state.pose = null;
      this.app.showMatches([]);
    }
    state.estimateMs = this.loop?.lastPoseMs ?? 0;
    state.frameRate.tick();
  }
}
