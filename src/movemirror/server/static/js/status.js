// Messages for the person: one line per topic (camera, model, server), with an optional
// progress bar, so a refused camera or an unreachable server is never a silent blank.

export class Messages {
  constructor(container) {
    this.container = container;
    this.items = new Map();
  }

  show(topic, text, { kind = 'info', progress = null, action = null } = {}) {
    let item = this.items.get(topic);
    if (!item) {
      item = document.createElement('div');
      item.dataset.topic = topic;
      this.items.set(topic, item);
      this.container.append(item);
    }
    item.className = `message ${kind}`;
    item.replaceChildren(document.createTextNode(text));
    if (progress !== null) {
      const bar = document.createElement('progress');
      bar.max = 1;
      bar.value = progress;
      item.append(bar);
    }
    if (action) {
      const button = document.createElement('button');
      button.textContent = action.label;
      button.addEventListener('click', action.run);
      item.append(button);
    }
  }

  clear(topic) {
    const item = this.items.get(topic);
    if (item) item.remove();
    this.items.delete(topic);
  }

  text(topic) {
    const item = this.items.get(topic);
    return item ? item.textContent : null;
  }
}
