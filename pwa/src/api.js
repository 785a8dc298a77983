// HTTP to the Verval API: bearer tokens kept in IndexedDB, one refresh at a time on 401, and errors
// sorted into "no network", "login needed" and "server said no".
import { getMeta, setMeta } from './db.js';

export class NetworkError extends Error {}
export class LoginRequired extends Error {}
export class HttpError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let refreshing = null;

export async function getAuth() { return getMeta('auth'); }

async function saveLogin(data) {
  await setMeta('auth', {
    access_token: data.access_token, refresh_token: data.refresh_token,
    user: data.user, device: data.device, saved_at: Date.now(),
  });
  if (data.device?.id) await setMeta('device_id', data.device.id);
}

async function rawFetch(path, options) {
  try {
    return await fetch(path, { cache: 'no-store', ...options });
  } catch (error) {
    throw new NetworkError(error.message);
  }
}

async function readBody(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return { raw: text }; }
}

export async function login({ username, password, deviceName }) {
  const deviceId = await getMeta('device_id');
  const body = { username, password, device_name: deviceName };
  if (deviceId) body.device_id = deviceId;
  const response = await rawFetch('/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await readBody(response);
  if (!response.ok) throw new HttpError(response.status, json);
  await saveLogin(json.data);
  return json.data;
}

/** Rotates the tokens; LoginRequired when the refresh token is refused. Concurrent callers share one call. */
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const auth = await getAuth();
      if (!auth?.refresh_token) throw new LoginRequired('no refresh token');
      const response = await rawFetch('/api/v1/auth/refresh', {
        method: 'POST', headers: { Authorization: `Bearer ${auth.refresh_token}` },
      });
      const json = await readBody(response);
      if (response.status === 401 || response.status === 403 || response.status === 422) {
        // `expired` makes the login screen say why (and that the outbox is safe), even after a reload.
        await setMeta('auth', { ...auth, access_token: null, refresh_token: null, expired: true });
        throw new LoginRequired(json?.error?.message || 'refresh refused');
      }
      if (!response.ok) throw new HttpError(response.status, json);
      await saveLogin(json.data);
      return json.data.access_token;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function accessToken() {
  const auth = await getAuth();
  if (!auth?.access_token) {
    if (auth?.refresh_token) return refresh();
    throw new LoginRequired('not logged in');
  }
  return auth.access_token;
}

/** JSON call with the access token; on 401 refreshes once and repeats. Returns {status, body}. */
export async function api(path, { method = 'GET', body, allow = [] } = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await accessToken();
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await rawFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401 && attempt === 0) { await refresh(); continue; }
    if (response.status === 401) throw new LoginRequired('unauthorised');
    const json = await readBody(response);
    if (!response.ok && !allow.includes(response.status)) throw new HttpError(response.status, json);
    return { status: response.status, body: json };
  }
  throw new LoginRequired('unauthorised');
}

export async function logout() {
  try { await api('/api/v1/auth/logout', { method: 'POST' }); } catch { /* logging out offline still forgets the tokens */ }
  const auth = await getAuth();
  await setMeta('auth', auth ? { user: auth.user, device: auth.device } : null);
}
