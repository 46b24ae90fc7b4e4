// The page: camera or photo -> pose (in this browser) -> keypoints to the server -> matches.
// This module only wires the others together; each concern lives in its own module.
import { MatchStream } from './connection.js';
import { CameraLoop } from './camera_loop.js';
import { CoverageView } from './coverage.js';
import { MatchDialog } from './dialog.js';
import { ExploreGrid } from './explore.js';
import { Flipbook } from './flipbook.js';
import { startFooter } from './footer.js';
import { wireGifButton } from './gif_button.js';
import { MatchHold } from './hold.js';
import { AUTO, CAMERA_FPS } from './model_choice.js';
import { ModelLoader } from './model_loader.js';
import { MovementMode } from './movement.js';
import { createPageState } from './page_state.js';
import { panelText } from './panel_text.js';
import { PhotoMode } from './photo_mode.js';
import { defaultPoolSize, workerSupported } from './pose_client.js';
import { poseQuery, searchOptions } from './query.js';
import { watchServer } from './server_status.js';
import { Sources } from './sources.js';
import { StartScreen } from './start_screen.js';
import { Messages } from './status.js';
import { ui } from './ui.js';
import { RecentFrames, marginFor } from './variety.js';
import { Views } from './views.js';

const params = new URLSearchParams(window.location.search);
const messages = new Messages(ui.messages);
const state = createPageState({
  model: params.get('model') || AUTO,
  // ?loop=main runs the model on the page's own thread, as before, to compare
  loop: params.get('loop') || (workerSupported() ? 'worker' : 'main'),
  workers: Number(params.get('workers')) || defaultPoolSize(), // at most; see PoseWorkerPool
  // the camera rate Auto's model must keep (?fps=N, e.g. for a 15 fps camera)
  cameraFps: Number(params.get('fps')) > 0 ? Number(params.get('fps')) : CAMERA_FPS,
  messages,
});
window.movemirror = state;

const hold = new MatchHold({ variety: new RecentFrames() });
const movement = new MovementMode({ toggle: ui.movementToggle, canvas: ui.movementCanvas,
  caption: ui.movementCaption, strips: ui.movementStrips, skeletonToggle: ui.skeletonToggle,
  messages });
Object.defineProperty(state, 'movement', { get: () => movement.status, enumerable: true });
const coverageGrid = new ExploreGrid({ grid: ui.coverageGrid, dialog: new MatchDialog(ui.detail) });
const coverage = new CoverageView({
  canvas: ui.coverageMap,
  list: ui.coverageGrid,
  caption: ui.coverageCaption,
  heading: ui.coverageRegion,
  render: (matches) => coverageGrid.render(matches, { force: true }),
});
state.coverage = coverage;
const app = {
  ui,
  state,
  messages,
  stream: new MatchStream(),
  flipbook: new Flipbook({
    frame: ui.matchFrame, image: ui.matchImage, skeleton: ui.matchSkeleton,
    caption: ui.matchCaption, empty: ui.matchEmpty, skeletonToggle: ui.skeletonToggle,
  }),
  grid: new ExploreGrid({ grid: ui.grid, dialog: new MatchDialog(ui.detail),
    empty: ui.exploreEmpty }),
  detector: () => models.detector,
  // seenMs: when a camera frame's pose was seen (Movement mode asks for the movement match)
  query: (pose, width, height, seenMs) => poseQuery(pose, width, height,
    { ...searchOptions(ui, state.view, views.mirrorChosen()), ...movement.fields(seenMs) }),
  showMovement: (reply, seenMs) => movement.onReply(reply, seenMs),
  clearHold: () => hold.clear(),
  coverage,
  showMatches(matches, { force = false } = {}) {
    if (state.view === 'coverage') coverage.place(state.pose);
    state.matches = matches;
    hold.variety.margin = marginFor(ui.metric.value);
    state.shown = hold.update(matches);
    app.flipbook.show(state.shown);
    if (state.view === 'explore' || force) {
      app.grid.render(matches, { force: force || state.source === 'photo' });
    }
  },
};
// The match on screen (state.shown is the one wanted, which may still be decoding).
Object.defineProperty(state, 'displayed', { get: () => app.flipbook.shown });
app.cameraLoop = new CameraLoop(app);
app.photo = new PhotoMode(app);
const sources = new Sources(app);
const views = new Views(app);
const startCamera = () => {
  if (state.ready && start.started && state.source === 'camera') sources.useCamera();
};
const start = new StartScreen(app, { onStart: startCamera });
const showFooter = startFooter(app);
const models = new ModelLoader(app, {
  backend: params.get('backend'),
  threads: params.has('threads') ? Number(params.get('threads')) : null,
  onReady: () => {
    showFooter(); // the model's name at once, not up to half a second after its matches
    if (!sources.usePendingPhoto()) startCamera();
  },
  onProgress: (text) => start.status(text),
});

watchServer(app);
setInterval(() => {
  const text = panelText(state);
  app.flipbook.say(text);
  app.grid.say(text);
}, 200);
app.gif = wireGifButton({ ...app, matchImage: () => app.flipbook.picture(),
  matchSkeleton: () => app.flipbook.overlay() });
if (['explore', 'coverage'].includes(params.get('view'))) views.set(params.get('view'));
models.load(state.model);
