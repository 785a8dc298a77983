// The staff workspace's one script (server/staff): htmx 2.0 with eval and script tags off (the pages run
// under a Content-Security-Policy without 'unsafe-eval' or inline scripts), plus small behaviours that
// pages ask for with data- attributes. Islands (photo lightbox) load on first use as their own chunks.
import htmx from 'htmx.org';
import './staff.css';

htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.includeIndicatorStyles = false;
htmx.config.selfRequestsOnly = true;
htmx.config.historyCacheSize = 0;

// An error answer (4xx/5xx) is swapped into the layout's alert region (htmx-config responseHandling);
// a network failure has no answer: say so in the same place.
document.addEventListener('htmx:sendError', () => {
  const region = document.getElementById('pesan-galat');
  if (region) region.textContent = document.documentElement.lang === 'en'
    ? 'The server cannot be reached. Check the connection and try again.'
    : 'Server tidak dapat dihubungi. Periksa sambungan lalu coba lagi.';
});
document.addEventListener('htmx:beforeRequest', () => {
  const region = document.getElementById('pesan-galat');
  if (region) region.textContent = '';
});

// <form data-confirm="…">: ask before submitting (counts shown before a bulk action).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

function webgl2() {
  try {
    return Boolean(document.createElement('canvas').getContext('webgl2'));
  } catch {
    return false;
  }
}

// Islands: loaded only on pages that have them.
function islands(root) {
  if (root.querySelector('[data-lightbox]')) import('./lightbox.js').then((m) => m.start(root));
  if (root.querySelector('[data-shortcuts]')) import('./shortcuts.js').then((m) => m.start(root));
  if (root.querySelector('[data-map]')) import('./map.js').then((m) => m.start(root));
  // The review page's small map: MapLibre (~800 KB) is fetched only where WebGL 2 can draw it.
  if (root.querySelector('[data-visit-map]') && webgl2()) import('./visitmap.js').then((m) => m.start(root));
}
islands(document);
document.addEventListener('htmx:afterSettle', (event) => islands(event.target));

window.htmx = htmx;
