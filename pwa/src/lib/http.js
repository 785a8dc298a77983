// HTTP to a Verval-style JSON API: bearer tokens from an injectable token store, one refresh at a time
// on 401, errors sorted into "server unreachable", "login needed" and "server said no", and a
// reachability signal (did the server answer the last request?) for online/offline indicators.
// App-independent: the enumerators' app passes an IndexedDB token store, another app could pass its own.

export class NetworkError extends Error {}
export class LoginRequired extends Error {}
export class HttpError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body?.error?.code || null;
  }
}

async function readBody(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return { raw: text }; }
}

/**
 * tokenStore: { get() → {access_token, refresh_token, …} | null, save(loginData), expire() }.
 * onReachable(boolean): called whenever a request shows whether the server answers.
 */
export function createHttpClient({ tokenStore, base = '', onReachable = () => {}, refreshPath = '/api/v1/auth/refresh' }) {
  let refreshing = null;
  let reachable = null;

  function setReachable(value) {
    if (value !== reachable) { reachable = value; onReachable(value); }
  }

  async function rawFetch(path, options) {
    try {
      const response = await fetch(base + path, { cache: 'no-store', ...options });
      // A proxy or a sleeping server answering 502-504 is not our server answering.
      setReachable(![502, 503, 504].includes(response.status));
      return response;
    } catch (error) {
      setReachable(false);
      throw new NetworkError(error.message);
    }
  }

  /** Rotates the tokens; LoginRequired when the refresh token is refused. Concurrent callers share one call. */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const auth = await tokenStore.get();
        if (!auth?.refresh_token) throw new LoginRequired('no refresh token');
        const response = await rawFetch(refreshPath, { method: 'POST', headers: { Authorization: `Bearer ${auth.refresh_token}` } });
        const json = await readBody(response);
        if ([401, 403, 422].includes(response.status)) {
          await tokenStore.expire();
          throw new LoginRequired(json?.error?.message || 'refresh refused');
        }
        if (!response.ok) throw new HttpError(response.status, json);
        await tokenStore.save(json.data);
        return json.data.access_token;
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function accessToken() {
    const auth = await tokenStore.get();
    if (auth?.access_token) return auth.access_token;
    if (auth?.refresh_token) return refresh();
    throw new LoginRequired('not logged in');
  }

  /** JSON call with the access token; on 401 refreshes once and repeats. Returns {status, body}. */
  async function api(path, { method = 'GET', body, allow = [] } = {}) {
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

  /** A call without tokens (login, health). */
  async function plain(path, { method = 'GET', body } = {}) {
    const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
    const response = await rawFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await readBody(response);
    if (!response.ok) throw new HttpError(response.status, json);
    return { status: response.status, body: json };
  }

  /** Asks the server if it is there (any answer counts); resolves to true / false. */
  async function probe(path = '/api/v1/health', timeoutMs = 5000) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await rawFetch(path, { signal: controller.signal });
      return reachable;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  return { api, plain, refresh, accessToken, probe, isReachable: () => reachable, setReachable };
}
