// The status bar: one row on a 360 px phone — server reachable or not, unsent counts (a link to the
// outbox), the sync button, and a menu (last sync, storage, language, logout). A second line appears
// only while syncing (what is being sent now) or after a failure (what happened, what to do).
import { getAuth, isOnline, logout } from '../api.js';
import { formatBytes, formatShortTime } from '../lib/format.js';
import { html, render } from '../lib/html.js';
import { getLang, setLang, t } from '../i18n.js';
import { getMeta } from '../store/db.js';
import * as drafts from '../store/drafts.js';
import * as households from '../store/households.js';
import { counts, state as syncState, sync } from '../sync.js';
import { errorText } from './common.js';

// Drawn, not emoji: a cheap phone's fonts may not have them.
const ICON_VISIT = html`<svg class="icon" aria-hidden="true" viewBox="0 0 24 24"><path d="M3 5h18v14H3z M3 5l9 8 9-8" fill="none" stroke="currentColor" stroke-width="2"/></svg>`;
const ICON_PHOTO = html`<svg class="icon" aria-hidden="true" viewBox="0 0 24 24"><path d="M3 7h4l2-3h6l2 3h4v13H3z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="13" r="4" fill="none" stroke="currentColor" stroke-width="2"/></svg>`;

let route = () => {};
export function setRoute(fn) { route = fn; }

function progressText() {
  if (syncState.phase === 'push') return t('progress_push', { n: syncState.sending?.ids.length || 0 });
  if (syncState.phase === 'photos') return t('progress_photos');
  if (syncState.phase === 'pull') return syncState.pulled ? t('progress_pull_n', { n: syncState.pulled }) : t('progress_pull');
  return t('syncing');
}

let menuOpen = false;
let feedback = '';

export async function renderStatus() {
  const el = document.getElementById('status');
  const { visits, photos } = await counts();
  const last = await getMeta('last_sync');
  const storage = navigator.storage?.estimate ? await navigator.storage.estimate().catch(() => ({})) : {};
  const persisted = await getMeta('storage_persisted', false);
  const online = isOnline();
  const auth = await getAuth();
  const session = Boolean(auth?.refresh_token || auth?.access_token);
  const message = syncState.running ? progressText() : syncState.lastError && !syncState.needsLogin ? errorText(syncState.lastError) : feedback;
  render(el, html`
    <div class="bar">
      <span class="pill ${online ? 'on' : 'off'}" data-testid="online" role="status">${online ? t('online') : t('offline')}</span>
      <a href="#/outbox" class="counts" title="${t('unsent_label', { v: visits, p: photos })}">
        <span data-testid="unsent-visits" data-count="${visits}">${ICON_VISIT} ${visits}<span class="sr-only"> ${t('unsent_visits')}</span></span>
        <span data-testid="unsent-photos" data-count="${photos}">${ICON_PHOTO} ${photos}<span class="sr-only"> ${t('unsent_photos')}</span></span></a>
      ${session ? html`<button id="sync-btn" class="small" data-testid="sync" ${syncState.running || !navigator.onLine ? html`disabled` : ''}>${syncState.running ? t('syncing') : t('sync_now')}</button>
      <details class="menu" ${menuOpen ? html`open` : ''}><summary aria-label="${t('menu')}" data-testid="menu">☰</summary>
        <div class="menu-panel">
          <p data-testid="last-sync">${t('last_sync')}: ${last ? formatShortTime(last) : t('never')}</p>
          <p data-testid="storage">${t('storage')}: ${storage.usage != null ? formatBytes(storage.usage) : '–'}${persisted ? ` (${t('storage_persisted')})` : ''}</p>
          <button id="lang-btn" class="small">${t('language')}</button>
          <button id="logout-btn" class="small" data-testid="logout">${t('logout')}</button>
        </div></details>` : ''}
    </div>
    ${message ? html`<p class="bar-msg ${syncState.lastError && !syncState.running ? 'bad' : ''}" data-testid="${syncState.lastError && !syncState.running ? 'sync-error' : 'sync-progress'}" role="status">${message}</p>` : ''}`);
  const menu = el.querySelector('details.menu');
  menu?.addEventListener('toggle', () => { menuOpen = menu.open; });
  el.querySelector('#sync-btn')?.addEventListener('click', async () => {
    feedback = '';
    const ok = await sync({ force: true });
    if (ok) { feedback = t('sync_done'); setTimeout(() => { feedback = ''; renderStatus(); }, 4000); }
    renderStatus();
  });
  el.querySelector('#logout-btn')?.addEventListener('click', async () => {
    // Logging out never throws work away: unsent visits, photos and drafts must go (or be finished) first.
    const d = await drafts.count();
    if (visits || photos || d) { window.alert(t('logout_unsent', { v: visits, p: photos, d })); return; }
    if (!window.confirm(t('logout_confirm'))) return;
    await logout();
    await households.forget();
    menuOpen = false;
    renderStatus();
    route();
  });
  el.querySelector('#lang-btn')?.addEventListener('click', () => { setLang(getLang() === 'id' ? 'en' : 'id'); renderStatus(); route(); });
}
