// Login: username, password and a name for this phone in words ("HP Samsung Andi"), so the office
// can tell devices apart. A fresh phone sees no session message; one whose session ended is told
// that its unsent work is safe.
import { HttpError, isOnline, login } from '../api.js';
import { html, render } from '../lib/html.js';
import { getLang, serverText, setLang, t } from '../i18n.js';
import { state as syncState, sync, whenIdle } from '../sync.js';
import { app } from './common.js';

/** "HP Android SM-A145F", "iPhone", or "HP": a starting point the enumerator can change. */
export function defaultDeviceName(ua = navigator.userAgent) {
  const android = ua.match(/Android[^;)]*;\s*([^;)]+?)(?:\s+Build\/[^;)]*)?[;)]/);
  if (android && !/^(K|wv|Linux)$/.test(android[1].trim())) return `HP ${android[1].trim()}`;
  if (/Android/.test(ua)) return 'HP Android';
  if (/iPhone/.test(ua)) return 'iPhone';
  if (/iPad/.test(ua)) return 'iPad';
  return 'HP';
}

export function renderLogin({ expired = false, router }) {
  const suggested = defaultDeviceName();
  render(app(), html`
    <section class="card" aria-labelledby="login-title">
      <div class="row-between"><h1 id="login-title">${t('login_title')}</h1>
        <button type="button" id="login-lang" class="small ghost">${t('language')}</button></div>
      ${expired ? html`<p class="warn" data-testid="login-again">${t('login_again')}</p>` : ''}
      <form id="login-form">
        <label>${t('username')}<input name="username" autocomplete="username" autocapitalize="none" required></label>
        <label>${t('password')}<input name="password" type="password" autocomplete="current-password" required></label>
        <label>${t('device_name')}<input name="device_name" value="${suggested}" data-testid="device-name" aria-describedby="device-hint"></label>
        <p class="muted" id="device-hint">${t('device_name_hint')}</p>
        <p class="err" id="login-error" data-testid="login-error" role="alert"></p>
        <button type="submit" class="primary">${t('login')}</button>
      </form>
    </section>`);
  document.getElementById('login-lang').onclick = () => { setLang(getLang() === 'id' ? 'en' : 'id'); router.route(); };
  document.getElementById('login-form').onsubmit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const error = document.getElementById('login-error');
    if (!navigator.onLine) { error.textContent = t('need_online_login'); return; }
    let deviceName = String(form.get('device_name') || '').trim();
    // The suggestion alone does not tell two phones apart: add whose phone it is.
    if (!deviceName || deviceName === suggested) deviceName = `${suggested} ${form.get('username')}`;
    error.textContent = '';
    try {
      await login({ username: form.get('username'), password: form.get('password'), deviceName });
      // A sync that started before the login (at app start) fails with "login needed" when it ends: let it
      // end first, so it cannot send the enumerator back to this screen.
      await whenIdle();
      syncState.needsLogin = false;
      syncState.lastError = null;
      await router.go('#/list');
      sync({ force: true });
    } catch (e) {
      console.warn('login failed', e);
      const reason = e instanceof HttpError ? serverText(e.body?.error?.message) || t('error_server') : isOnline() ? t('error_unknown') : t('error_network_login');
      error.textContent = `${t('login_failed')}: ${reason}`;
    }
  };
}
