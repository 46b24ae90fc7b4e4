// The page's elements, looked up once by id (index.html is their one home).
const $ = (selector) => document.querySelector(selector);

export const ui = {
  video: $('#video'),
  view: $('#view'),
  stats: $('#stats'),
  bankSize: $('#bank-size'),
  queryLog: $('#query-log'),
  messages: $('#messages'),
  countdown: $('#countdown'),
  gifButton: $('#gif-button'),
  gifLink: $('#gif-download'),
  cameraButton: $('#camera-button'),
  photoInput: $('#photo-input'),
  model: $('#model'),
  k: $('#explore-k'),
  metric: $('#metric'),
  mirror: $('#mirror-toggle'),
  freeze: $('#freeze'),
  grid: $('#grid'),
  detail: $('#detail'),
  matchImage: $('#match-image'),
  matchCaption: $('#match-caption'),
  matchEmpty: $('#match-empty'),
  viewButtons: [...document.querySelectorAll('button[data-view]')],
};
