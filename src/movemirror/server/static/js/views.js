// The views (Mirror, Explore, Coverage) and the search controls: switching, freezing, and asking again
// for the pose on screen when an option changes.

const ALWAYS_MIRRORED = 'likeness'; // movemirror.distances.LIKENESS: mirror is implied

export class Views {
  /** app: {ui, state, stream, grid, query(...), showMatches(...), clearHold(), photo} */
  constructor(app) {
    this.app = app;
    const { ui } = app;
    for (const button of ui.viewButtons) {
      button.addEventListener('click', () => this.set(button.dataset.view));
    }
    this.mirrorChoice = ui.mirror.checked;
    ui.metric.addEventListener('change', () => this.showMetric());
    this.showMetric();
    for (const control of [ui.k, ui.metric, ui.mirror]) {
      control.addEventListener('change', () => this.refresh());
    }
    ui.freeze.addEventListener('click', () => this.toggleFreeze());
  }

  /** The mirror the person chose (the box's own state, not likeness's implied tick): the
   * still search under likeness ignores it, the movement search takes it (mirrored, a
   * movement search costs about twice the time). */
  mirrorChosen() {
    const { mirror } = this.app.ui;
    return mirror.disabled ? this.mirrorChoice : mirror.checked;
  }

  /** What the chosen distance changes on the page: the mirror box, and what the legend says
   * of the distances' order (likeness orders them in groups of ten). */
  showMetric() {
    const { exploreLegend, metric } = this.app.ui;
    this.showMirrorOption();
    exploreLegend.dataset.metric = metric.value;
  }

  /** "likeness" always searches both ways round: while it is chosen the mirror box says so,
   * ticked and fixed; the other distances get back the choice made for them. */
  showMirrorOption() {
    const { mirror, mirrorNote, metric } = this.app.ui;
    const always = metric.value === ALWAYS_MIRRORED;
    if (always && !mirror.disabled) this.mirrorChoice = mirror.checked;
    if (!always && mirror.disabled) mirror.checked = this.mirrorChoice;
    mirror.disabled = always;
    if (always) mirror.checked = true;
    mirror.title = always ? `${ALWAYS_MIRRORED} always looks both ways round` : '';
    // In words too: a phone shows no title, and a fixed box would seem broken.
    mirrorNote.textContent = always ? `: always, with ${ALWAYS_MIRRORED}` : '';
  }

  set(view) {
    const { ui, state, grid } = this.app;
    state.view = view;
    document.body.dataset.view = view;
    for (const button of ui.viewButtons) {
      button.setAttribute('aria-pressed', String(button.dataset.view === view));
    }
    if (view === 'explore') grid.render(state.matches, { force: true });
    if (view === 'coverage') this.app.coverage.show(state.pose);
    this.refresh();
  }

  toggleFreeze() {
    const { ui, state, grid } = this.app;
    state.frozen = !state.frozen;
    ui.freeze.setAttribute('aria-pressed', String(state.frozen));
    ui.freeze.textContent = state.frozen ? 'Resume' : 'Freeze';
    if (state.frozen) grid.render(state.matches, { force: true });
  }

  /** New options: ask again for the pose on screen when it will not come by itself. */
  refresh() {
    const { ui, state, stream } = this.app;
    if (!state.pose) return;
    if (state.source === 'photo') {
      this.app.photo.search();
    } else if (state.frozen) {
      const [width, height] = [ui.view.width, ui.view.height];
      stream.send(this.app.query(state.pose, width, height)).then((reply) => {
        if (reply && reply.type === 'matches') {
          this.app.clearHold();
          this.app.showMatches(reply.matches, { force: true });
        }
      });
    }
  }
}
