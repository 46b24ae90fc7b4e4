// The camera loop: each video frame -> pose (in this browser) -> the skeleton drawn over the
// mirrored frame -> the pose's query on the match stream -> the matches shown.
import { drawFrame, drawSkeleton } from './draw.js';
import { isGoodPose, mirrorPose } from './keypoints.js';
import { KeypointsFilter } from './one_euro.js';

function nextVideoFrame(video) {
  return new Promise((resolve) => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
}

export class CameraLoop {
  /** app: {ui, state, stream, detector(), query(pose, width, height), showMatches(matches)} */
  constructor(app) {
    this.app = app;
    this.filter = new KeypointsFilter();
    this.token = 0;
  }

  start() {
    this.filter.reset();
    this.token += 1;
    this.run(this.token);
  }

  stop() {
    this.token += 1;
  }

  async run(token) {
    const { ui: { video, view }, state, stream } = this.app;
    const detector = this.app.detector();
    while (token === this.token) {
      await nextVideoFrame(video);
      if (token !== this.token || state.frozen || video.readyState < 2) continue;
      const width = video.videoWidth;
      const height = video.videoHeight;
      const start = performance.now();
      const raw = await detector.estimator.estimate(video, width, height);
      state.estimateMs = performance.now() - start;
      if (token !== this.token) break; // stopped (a photo came) while the model ran
      drawFrame(view, video, width, height, { mirrored: true });
      let pose = mirrorPose(raw, width);
      if (isGoodPose(pose)) {
        pose = this.filter.apply(pose, width, height, start / 1000);
        drawSkeleton(view, pose);
        state.pose = pose;
        stream.send(this.app.query(pose, width, height)).then((reply) => {
          if (!reply || token !== this.token || state.frozen) return;
          if (reply.type === 'matches') {
            state.matchRate.tick();
            this.app.showMatches(reply.matches);
          }
        });
      } else {
        this.filter.reset();
        detector.estimator.reset();
        state.pose = null;
        this.app.showMatches([]);
      }
      state.frameRate.tick();
    }
  }
}
