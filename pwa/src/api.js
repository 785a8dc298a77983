// The enumerators' HTTP client: lib/http.js with tokens kept in IndexedDB, and whether the server
// answers (for the status bar's Daring / Luring).
import { createHttpClient } from './lib/http.js';
import { getMeta, setMeta } from './store/db.js';

export { HttpError, LoginRequired, NetworkError } from './lib/http.js';

const listeners = new Set();
/** fn(reachable) whenever the server starts or stops answering. */
export function onReachability(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export async function getAuth() { return getMeta('auth'); }

async function saveLogin(data) {
  await setMeta('auth', {
    access_token: data.access_token, refresh_token: data.refresh_token,
    user: data.user, device: data.device, saved_at: Date.now(),
  });
  if (data.device?.id) await setMeta('device_id', data.device.id);
}

const tokenStore = {
  get: getAuth,
  save: saveLogin,
  // `expired` makes the login screen say why (and that the outbox is safe), even after a reload.
  expire: async () => { const auth = await getAuth(); await setMeta('auth', { ...auth, access_token: null, refresh_token: null, expired: true }); },
};

const client = createHttpClient({ tokenStore, onReachable: (value) => { for (const fn of listeners) fn(value); } });
export const { api, refresh, accessToken, probe, isReachable, setReachable } = client;

/** Online = the browser has a network and the server answered the last time we asked. */
export function isOnline() { return navigator.onLine && client.isReachable() !== false; }

export async function login({ username, password, deviceName }) {
  const deviceId = await getMeta('device_id');
  const body = { username, password, device_name: deviceName };
  if (deviceId) body.device_id = deviceId;
  const { body: json } = await client.plain('/api/v1/auth/login', { method: 'POST', body });
  await saveLogin(json.data);
  return json.data;
}

export async function logout() {
  try { await api('/api/v1/auth/logout', { method: 'POST' }); } catch { /* logging out offline still forgets the tokens */ }
  const auth = await getAuth();
  await setMeta('auth', auth ? { user: auth.user, device: auth.device } : null);
}

/** True when this phone has (or had) a session: a fresh phone is never told its session ended. */
export async function hasSession() {
  const auth = await getAuth();
  return Boolean(auth?.access_token || auth?.refresh_token);
}
