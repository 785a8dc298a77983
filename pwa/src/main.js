// Boot: service worker, persistent storage, the router and its screens, server reachability, and the
// sync triggers (start, online, visible, timer, button). Background Sync is missing on Safari, so these
// are the only triggers we rely on.
import './style.css';
import { getAuth, isOnline, onReachability, probe } from './api.js';
import { useLocale } from './lib/format.js';
import { createRouter } from './lib/router.js';
import { getLang, locale, setLang } from './i18n.js';
import { renderDetail } from './screens/detail.js';
import { renderList } from './screens/list.js';
import { renderLogin } from './screens/login.js';
import { renderOutbox } from './screens/outbox.js';
import { renderPropose } from './screens/propose.js';
import { renderStatus, setRoute } from './screens/status.js';
import { renderVisit } from './screens/visit.js';
import { db, setMeta } from './store/db.js';
import { onChange, state as syncState, sync } from './sync.js';

const TIMER_MS = 60 * 1000;
const PROBE_MS = 15 * 1000;
setLang(getLang());
useLocale(locale);

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {}));
}

/** Asks the browser not to evict our data under storage pressure (the outbox may hold days of work). */
async function requestPersistence() {
  if (!navigator.storage?.persist) return;
  await setMeta('storage_persisted', await navigator.storage.persist().catch(() => false));
}

const ctx = {};
const router = createRouter({
  fallback: 'list',
  screens: {
    list: () => renderList(ctx),
    hh: (id) => renderDetail(ctx, id),
    visit: (id) => renderVisit(ctx, id),
    outbox: () => renderOutbox(ctx),
    propose: () => renderPropose(ctx),
    login: () => renderLogin({ ...ctx, expired: syncState.needsLogin }),
  },
  // No session: the login screen; it says the session ended only to a phone that had one.
  guard: async () => {
    const auth = await getAuth();
    const session = Boolean(auth?.access_token || auth?.refresh_token);
    if (!session) return () => renderLogin({ ...ctx, expired: Boolean(auth?.expired) });
    if (syncState.needsLogin) return () => renderLogin({ ...ctx, expired: true });
    return null;
  },
});
ctx.router = router;
setRoute(() => router.route());

let lastRunning = false;
let refreshTimer = null;
onChange((s) => {
  renderStatus();
  const screen = router.current().name;
  if (lastRunning && !s.running) {
    // A sync finished: the screen shows what changed (the login screen if the session ended).
    clearTimeout(refreshTimer);
    if (s.needsLogin) router.route(); else router.refresh();
  } else if (s.running && (screen === 'outbox' || (s.phase === 'pull' && (screen === 'list' || screen === '')))) {
    // While syncing, the outbox follows each confirmed item and an empty list fills page by page.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => router.refresh(), 300);
  }
  lastRunning = s.running;
});

// The pill follows the server, not only navigator.onLine: a server that stops answering is "Luring".
onReachability((reachable) => {
  renderStatus();
  if (reachable) sync();
});
setInterval(() => { if (navigator.onLine && !isOnline()) probe(); }, PROBE_MS);

window.addEventListener('hashchange', () => router.route());
window.addEventListener('online', () => { renderStatus(); probe(); sync({ force: true }); });
window.addEventListener('offline', () => renderStatus());
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync(); });
setInterval(() => sync(), TIMER_MS);

(async () => {
  await db.open();
  // The list first: the status bar (counts, storage estimate) and persistence can come a moment later.
  await router.route();
  renderStatus();
  await requestPersistence();
  sync();
})();

window.verval = { db, sync, router };
