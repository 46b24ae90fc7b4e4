// The explore view (Move Mirror's debug tool): the top matches as a grid with distances;
// a click shows one large with its source and attribution.
import { attribution } from './flipbook.js';

export class ExploreGrid {
  constructor({ grid, dialog }) {
    Object.assign(this, { grid, dialog });
    this.lastRender = 0;
    this.renders = 0;
    dialog.querySelector('.close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  /** Redraws the grid, at most every `minIntervalMs` so the cards stay clickable. */
  render(matches, { force = false, minIntervalMs = 300 } = {}) {
    const now = performance.now();
    if (!force && now - this.lastRender < minIntervalMs) return;
    this.lastRender = now;
    this.renders += 1;
    const cards = (matches || []).map((match, rank) => this.card(match, rank));
    this.grid.replaceChildren(...cards);
  }

  card(match, rank) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.className = 'card';
    button.dataset.matchId = match.id;
    const img = document.createElement('img');
    img.src = match.thumbnail || '';
    img.alt = match.id;
    img.loading = 'lazy';
    if (match.mirrored) img.classList.add('flipped');
    const label = document.createElement('span');
    label.className = 'distance';
    label.textContent = `#${rank + 1} · ${match.distance.toFixed(3)}${match.mirrored ? ' ↔' : ''}`;
    button.append(img, label);
    button.addEventListener('click', () => this.open(match, rank));
    item.append(button);
    return item;
  }

  open(match, rank) {
    const d = this.dialog;
    const img = d.querySelector('img');
    img.src = match.thumbnail || '';
    img.classList.toggle('flipped', Boolean(match.mirrored));
    d.querySelector('.rank').textContent = `#${rank + 1}`;
    d.querySelector('.distance').textContent = match.distance.toFixed(4)
      + (match.mirrored ? ' (mirrored)' : '');
    d.querySelector('.match-id').textContent = match.id;
    d.querySelector('.source').textContent = match.source || '—';
    d.querySelector('.credit').textContent = match.credit || '—';
    d.querySelector('.licence').textContent = match.licence || 'unknown';
    d.querySelector('.summary').textContent = attribution(match);
    d.showModal();
  }
}
