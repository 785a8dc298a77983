// The sync engine: pushes the outbox in batches, uploads photos over tus (resumable), pulls changed
// households page by page. Runs on start, `online`, becoming visible, a timer and the button; failures
// back off exponentially with jitter. Nothing leaves the outbox before the server confirmed it.
// State changes go through store/ (states documented in store/states.js). Errors are kept as
// {code, message, detail}: screens show the catalogue's words for `code`, `detail` only behind a toggle.
import { accessToken, api, getAuth, HttpError, isOnline, LoginRequired, NetworkError, refresh, setReachable } from './api.js';
import { getMeta, setMeta } from './store/db.js';
import * as households from './store/households.js';
import * as outbox from './store/outbox.js';
import * as photos from './store/photos.js';
import { CONFIRMED } from './store/states.js';

/* global __APP_VERSION__ */
const BATCH = 50;
const BASE_DELAY_MS = 2000;
const MAX_DELAY_MS = 5 * 60 * 1000;

/** phase: '' | 'push' | 'photos' | 'pull'; sending: what goes now ({kind, id}). */
export const state = { running: false, failures: 0, nextAttemptAt: 0, lastError: null, needsLogin: false, phase: '', sending: null, pulled: 0 };
const listeners = new Set();
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function notify() { for (const fn of listeners) fn(state); }

export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Any failure → what the outbox and the status bar keep: a code for the catalogue, the server's own
 * (bilingual) message when it gave one, and the technical detail for the "details" toggle. */
export function describe(error) {
  if (error instanceof NetworkError) return { code: 'network', detail: error.message };
  if (error instanceof LoginRequired) return { code: 'login', detail: error.message };
  if (error instanceof HttpError) return { code: error.status >= 500 ? 'server_error' : 'server', message: error.body?.error?.message || null, detail: `HTTP ${error.status} ${error.code || ''}`.trim() };
  return { code: 'unknown', detail: String(error?.message || error) };
}

let current = null;
/** One sync at a time; `force` ignores the backoff window (the button, `online`). */
export function sync({ force = false } = {}) {
  if (current) return current;
  if (!force && Date.now() < state.nextAttemptAt) return Promise.resolve(false);
  if (!navigator.onLine) return Promise.resolve(false);
  current = run().finally(() => { current = null; });
  return current;
}

/** Resolves once no sync is running (a run started before a login must not answer for after it). */
export function whenIdle() {
  return current ? current.catch(() => false) : Promise.resolve(false);
}

async function run() {
  // A phone without a session has nothing to sync (and must not be told its session ended).
  const auth = await getAuth();
  if (!auth?.access_token && !auth?.refresh_token) return false;
  state.running = true; state.lastError = null; state.pulled = 0; notify();
  try {
    await pushVisits();
    await uploadPhotos();
    await pull();
    state.failures = 0; state.nextAttemptAt = 0; state.needsLogin = false;
    await setMeta('last_sync', new Date().toISOString());
    return true;
  } catch (error) {
    console.warn('sync failed', error);
    if (error instanceof LoginRequired) {
      state.needsLogin = true;
    } else {
      state.failures += 1;
      state.nextAttemptAt = Date.now() + backoffDelay(state.failures);
    }
    state.lastError = describe(error);
    return false;
  } finally {
    state.running = false; state.phase = ''; state.sending = null; notify();
  }
}

/** The server's field errors as [path, message] pairs; numeric keys become 1-based positions. */
export function fieldErrors(errors) {
  if (!errors) return [];
  if (typeof errors === 'string') return [[[], errors]];
  const out = [];
  const walk = (value, path) => {
    if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
      out.push([path, value.join('; ')]);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, /^\d+$/.test(key) ? Number(key) + 1 : key]);
    } else {
      out.push([path, String(value)]);
    }
  };
  walk(errors, []);
  return out;
}

async function pushVisits() {
  for (;;) {
    const items = await outbox.takeBatch(BATCH);
    if (!items.length) return;
    state.phase = 'push'; state.sending = { kind: 'visit', ids: items.map((i) => i.id) }; notify();
    let response;
    try {
      response = await api('/api/v1/sync/push', { method: 'POST', body: { items: items.map((item) => item.payload), sent_at: new Date().toISOString(), client: await clientReport() } });
    } catch (error) {
      if (error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        // The whole batch was refused (malformed): show why on each item, let the user fix it.
        await outbox.refuseAll(items, describe(error));
        continue;
      }
      await outbox.putBack(items, describe(error));
      throw error;
    }
    const results = response.body.data.results;
    for (const [index, item] of items.entries()) {
      const result = results[index] || results.find((r) => r.id === item.id);
      const ok = Boolean(result && CONFIRMED.has(result.status));
      await outbox.settle(item, result, ok, ok ? null : { code: result ? `push_${result.status}` : 'server', detail: JSON.stringify(result?.errors ?? result ?? null) });
      // Each confirmed visit shows at once (not when the whole sync ends).
      notify();
    }
  }
}

async function uploadPhotos() {
  for (const photo of await photos.uploadable()) {
    state.phase = 'photos'; state.sending = { kind: 'photo', ids: [photo.id] }; notify();
    await photos.markUploading(photo.id);
    try {
      await uploadWithRefresh(photo);
    } catch (error) {
      console.warn('photo upload failed', photo.id, error);
      if (isRefusal(error)) {
        // The server said no for good (bad bytes, too big, not this phone's visit): keep the photo with
        // the reason for the outbox, and go on with the others and the pull instead of retrying forever.
        await photos.markRefused(photo, refusal(error));
        notify();
        continue;
      }
      const failure = error instanceof LoginRequired ? error : new NetworkError(error?.message || String(error));
      // tus talks to the server itself (not through api.js): a lost upload also means "not reachable".
      if (!error?.status) setReachable(false);
      await photos.markRetry(photo, describe(failure));
      throw failure;
    }
    await photos.markDone(photo.id);
    notify();
  }
}

/** A tus answer that retrying cannot change: 4xx other than auth, offset conflicts and rate limits. */
function isRefusal(error) {
  return error.status >= 400 && error.status < 500 && ![401, 409, 423, 429].includes(error.status);
}

function refusal(error) {
  const text = error.originalResponse?.getBody?.() || '';
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const fields = body?.error?.details?.fields;
  return {
    code: 'photo_refused', message: body?.error?.message || null,
    detail: [`HTTP ${error.status} ${body?.error?.code || ''}`, fields ? JSON.stringify(fields) : ''].filter(Boolean).join('\n'),
  };
}

/** Puts a refused photo back in the queue (after the office fixed the cause) and syncs. */
export async function retryPhoto(id) {
  await photos.retry(id);
  return sync({ force: true });
}

async function uploadWithRefresh(photo) {
  try {
    await tusUpload(photo);
  } catch (error) {
    if (error.status !== 401) throw error;
    await refresh();
    await tusUpload(photo);
  }
}

async function tusUpload(photo) {
  // Loaded when the first photo goes (its own precached chunk): the app starts without parsing it.
  const tus = await import('tus-js-client');
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(new Blob([photo.data], { type: photo.type }), {
      endpoint: '/api/v1/photos/uploads',
      chunkSize: 256 * 1024,
      retryDelays: [0, 1000, 3000],
      metadata: { photo_id: photo.id, visit_id: photo.visit_id, sha256: photo.sha256, filetype: photo.type, filename: `${photo.id}.jpg` },
      // Resuming is keyed by the photo id: the stored upload URL survives reloads (tus URL storage).
      fingerprint: () => Promise.resolve(`verval-photo-${photo.id}`),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: async (request) => { request.setHeader('Authorization', `Bearer ${await accessToken()}`); },
      onShouldRetry: (error) => {
        const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        return !(status >= 400 && status < 500 && status !== 409 && status !== 423 && status !== 429);
      },
      onError: (error) => {
        error.status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        reject(error);
      },
      onSuccess: () => resolve(),
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
}

async function pull() {
  let cursor = await getMeta('cursor');
  let resets = 0;
  for (;;) {
    state.phase = 'pull'; state.sending = null; notify();
    const report = new URLSearchParams(Object.entries(await clientReport()).map(([k, v]) => [k, String(v)]));
    const query = (cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500') + `&${report}`;
    const { status, body } = await api(`/api/v1/sync/pull${query}`, { allow: [410] });
    if (status === 410) {
      if (resets++) throw new Error('cursor expired twice');
      await households.resetPull();
      cursor = null;
      continue;
    }
    await households.applyPage(body.data, body.meta.next_cursor);
    state.pulled += body.data.households?.length || 0;
    cursor = body.meta.next_cursor;
    notify();
    if (!body.meta.has_more) return;
  }
}

/** What the app says about itself at each sync: its version and what it still holds unsent (optional in
 * the protocol; supervisors see it on the staff dashboard). */
async function clientReport() {
  const unsent = await counts();
  return { app_version: __APP_VERSION__, unsent_visits: unsent.visits, unsent_photos: unsent.photos };
}

export async function counts() {
  return { visits: await outbox.count(), photos: await photos.countUnsent() };
}

export { isOnline };
