// Boot: service worker, persistent storage, router, and the sync triggers (start, online, visible,
// timer, button). Background Sync is missing on Safari, so these are the only triggers we rely on.
import './style.css';
import { db, setMeta } from './db.js';
import { setLang, getLang } from './i18n.js';
import { onChange, sync } from './sync.js';
import { renderStatus, route } from './ui.js';

const TIMER_MS = 60 * 1000;
setLang(getLang());

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {}));
}

/** Asks the browser not to evict our data under storage pressure (the outbox may hold days of work). */
async function requestPersistence() {
  if (!navigator.storage?.persist) return;
  await setMeta('storage_persisted', await navigator.storage.persist().catch(() => false));
}

let lastRunning = false;
onChange((s) => {
  renderStatus();
  // Re-render the current screen once a sync finishes so lists and the outbox show what changed.
  if (lastRunning && !s.running) route();
  lastRunning = s.running;
});

window.addEventListener('hashchange', route);
window.addEventListener('online', () => { renderStatus(); sync({ force: true }); });
window.addEventListener('offline', () => renderStatus());
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync(); });
setInterval(() => sync(), TIMER_MS);

(async () => {
  await db.open();
  await requestPersistence();
  await renderStatus();
  await route();
  sync();
})();

window.verval = { db, sync };
