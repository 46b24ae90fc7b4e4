// The page: camera or photo -> pose (in this browser) -> keypoints to the server -> matches.
// This module only wires the others together; each concern lives in its own module.
import { MatchStream } from './connection.js';
import { CameraLoop } from './camera_loop.js';
import { DEFAULT_MODEL } from './detector.js';
import { ExploreGrid } from './explore.js';
import { Flipbook } from './flipbook.js';
import { startFooter } from './footer.js';
import { wireGifButton } from './gif_button.js';
import { MatchHold } from './hold.js';
import { ModelLoader } from './model_loader.js';
import { createPageState } from './page_state.js';
import { panelText } from './panel_text.js';
import { PhotoMode } from './photo_mode.js';
import { poseQuery, searchOptions } from './query.js';
import { watchServer } from './server_status.js';
import { Sources } from './sources.js';
import { StartScreen } from './start_screen.js';
import { Messages } from './status.js';
import { ui } from './ui.js';
import { Views } from './views.js';

const params = new URLSearchParams(window.location.search);
const messages = new Messages(ui.messages);
const state = createPageState({ model: params.get('model') || DEFAULT_MODEL, messages });
window.movemirror = state;

const hold = new MatchHold();
const app = {
  ui,
  state,
  messages,
  stream: new MatchStream(),
  flipbook: new Flipbook({
    frame: ui.matchFrame, image: ui.matchImage, skeleton: ui.matchSkeleton,
    caption: ui.matchCaption, empty: ui.matchEmpty, skeletonToggle: ui.skeletonToggle,
  }),
  grid: new ExploreGrid({ grid: ui.grid, dialog: ui.detail }),
  detector: () => models.detector,
  query: (pose, width, height) => poseQuery(pose, width, height, searchOptions(ui, state.view)),
  clearHold: () => hold.clear(),
  showMatches(matches, { force = false } = {}) {
    state.matches = matches;
    state.shown = hold.update(matches);
    app.flipbook.show(state.shown);
    if (state.view === 'explore' || force) {
      app.grid.render(matches, { force: force || state.source === 'photo' });
    }
  },
};
app.cameraLoop = new CameraLoop(app);
app.photo = new PhotoMode(app);
const sources = new Sources(app);
const views = new Views(app);
const startCamera = () => {
  if (state.ready && start.started && state.source === 'camera') sources.useCamera();
};
const start = new StartScreen(app, { onStart: startCamera });
const models = new ModelLoader(app, {
  backend: params.get('backend'),
  onReady: startCamera,
  onProgress: (text) => start.status(text),
});

watchServer(app);
setInterval(() => app.flipbook.say(panelText(state)), 200);
startFooter(app);
wireGifButton({ ...app, matchImage: () => (ui.matchImage.hidden ? null : ui.matchImage) });
if (params.get('view') === 'explore') views.set('explore');
models.load(state.model);
