// The sync engine: pushes the outbox in batches, uploads photos over tus (resumable), pulls changed
// households page by page. Runs on start, `online`, becoming visible, a timer and the button; failures
// back off exponentially with jitter. Nothing leaves the outbox before the server confirmed it.
import * as tus from 'tus-js-client';
import { accessToken, api, HttpError, LoginRequired, NetworkError, refresh } from './api.js';
import { db, getMeta, setMeta } from './db.js';
import { t } from './i18n.js';

const CONFIRMED = new Set(['created', 'duplicate', 'accepted_with_conflict']);
const BATCH = 50;
const BASE_DELAY_MS = 2000;
const MAX_DELAY_MS = 5 * 60 * 1000;

export const state = { running: false, failures: 0, nextAttemptAt: 0, lastError: null, needsLogin: false, progress: '' };
const listeners = new Set();
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function notify() { for (const fn of listeners) fn(state); }

export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
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
  state.running = true; state.lastError = null; notify();
  try {
    await pushVisits();
    await uploadPhotos();
    await pull();
    state.failures = 0; state.nextAttemptAt = 0; state.needsLogin = false;
    await setMeta('last_sync', new Date().toISOString());
    return true;
  } catch (error) {
    if (error instanceof LoginRequired) {
      state.needsLogin = true;
    } else {
      state.failures += 1;
      state.nextAttemptAt = Date.now() + backoffDelay(state.failures);
    }
    state.lastError = error instanceof NetworkError ? 'network' : error.message;
    return false;
  } finally {
    state.running = false; state.progress = ''; notify();
  }
}

/** The server's field errors as lines a person can read: "Anggota keluarga 3 › NIK: …" (nested paths flattened). */
export function errorText(result) {
  const errors = result.errors || {};
  if (typeof errors === 'string') return errors;
  const lines = [];
  const walk = (value, path) => {
    if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
      lines.push(`${path.join(' › ')}: ${value.join('; ')}`);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, /^\d+$/.test(key) ? String(Number(key) + 1) : t(key)]);
    } else {
      lines.push(`${path.join(' › ')}: ${value}`);
    }
  };
  walk(errors, []);
  return lines.join('\n') || result.status;
}

async function pushVisits() {
  for (;;) {
    const items = (await db.outbox.orderBy('created_at').toArray())
      .filter((item) => item.state === 'pending' || item.state === 'sending').slice(0, BATCH);
    if (!items.length) return;
    // Frozen from here on: a later change is a new visit, never this UUID with other content.
    await db.outbox.bulkPut(items.map((item) => ({ ...item, state: 'sending', attempts: (item.attempts || 0) + 1 })));
    state.progress = `push ${items.length}`; notify();
    let response;
    try {
      response = await api('/api/v1/sync/push', { method: 'POST', body: { items: items.map((item) => item.payload), sent_at: new Date().toISOString() } });
    } catch (error) {
      const message = error instanceof NetworkError ? 'network' : error.message;
      if (error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        // The whole batch was refused (malformed): show why on each item, let the user fix it.
        await db.outbox.bulkPut(items.map((item) => ({ ...item, state: 'refused', last_error: message, attempts: (item.attempts || 0) + 1 })));
        continue;
      }
      await db.outbox.bulkPut(items.map((item) => ({ ...item, state: 'pending', last_error: message, attempts: (item.attempts || 0) + 1 })));
      throw error;
    }
    const results = response.body.data.results;
    await db.transaction('rw', db.outbox, db.photos, db.sent, async () => {
      for (const [index, item] of items.entries()) {
        const result = results[index] || results.find((r) => r.id === item.id);
        if (result && CONFIRMED.has(result.status)) {
          await db.sent.put({ id: item.id, household_id: item.household_id, payload: item.payload, status: result.status, sent_at: new Date().toISOString() });
          await db.outbox.delete(item.id);
          await db.photos.where('visit_id').equals(item.id).modify({ state: 'pending' });
        } else {
          await db.outbox.put({ ...item, state: 'refused', attempts: (item.attempts || 0) + 1, result_status: result?.status, last_error: result ? errorText(result) : 'no result' });
        }
      }
    });
    notify();
  }
}

async function uploadPhotos() {
  const photos = await db.photos.where('state').anyOf('pending', 'uploading').toArray();
  for (const photo of photos) {
    state.progress = `photo ${photo.id.slice(0, 8)}`; notify();
    await db.photos.update(photo.id, { state: 'uploading' });
    try {
      await uploadWithRefresh(photo);
    } catch (error) {
      const attempts = (photo.attempts || 0) + 1;
      if (isRefusal(error)) {
        // The server said no for good (bad bytes, too big, not this phone's visit): keep the photo with
        // the reason for the outbox, and go on with the others and the pull instead of retrying forever.
        await db.photos.update(photo.id, { state: 'refused', last_error: refusalText(error), attempts });
        notify();
        continue;
      }
      await db.photos.update(photo.id, { state: 'pending', last_error: error.message || String(error), attempts });
      throw error instanceof LoginRequired ? error : new NetworkError(error.message || String(error));
    }
    await db.photos.delete(photo.id);
    notify();
  }
}

/** A tus answer that retrying cannot change: 4xx other than auth, offset conflicts and rate limits. */
function isRefusal(error) {
  return error.status >= 400 && error.status < 500 && ![401, 409, 423, 429].includes(error.status);
}

function refusalText(error) {
  const text = error.originalResponse?.getBody?.() || '';
  try {
    const body = JSON.parse(text);
    const fields = body.error?.details?.fields;
    const detail = fields ? Object.entries(fields).map(([field, messages]) => `${field}: ${[].concat(messages).join('; ')}`).join('\n') : '';
    return [body.error?.message, detail].filter(Boolean).join('\n') || `HTTP ${error.status}`;
  } catch {
    return `HTTP ${error.status}`;
  }
}

/** Puts a refused photo back in the queue (after the office fixed the cause) and syncs. */
export async function retryPhoto(id) {
  await db.photos.update(id, { state: 'pending', last_error: null });
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

function tusUpload(photo) {
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

async function applyPage(data, nextCursor) {
  await db.transaction('rw', db.households, db.meta, async () => {
    if (data.households?.length) {
      // A household may come twice across rounds (see server/sync/service.py); never go back a version.
      const stored = await db.households.bulkGet(data.households.map((h) => h.id));
      const fresh = data.households.filter((h, i) => !stored[i] || (stored[i].version ?? 0) <= (h.version ?? 0));
      await db.households.bulkPut(fresh);
    }
    const gone = (data.tombstones || []).map((tomb) => tomb.household_id);
    if (gone.length) await db.households.bulkDelete(gone);
    if (data.reference) await db.meta.put({ key: 'reference', value: data.reference });
    await db.meta.put({ key: 'cursor', value: nextCursor });
  });
}

async function pull() {
  let cursor = await getMeta('cursor');
  let resets = 0;
  for (;;) {
    state.progress = 'pull'; notify();
    const query = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500';
    const { status, body } = await api(`/api/v1/sync/pull${query}`, { allow: [410] });
    if (status === 410) {
      if (resets++) throw new Error('cursor expired twice');
      // Households only: drafts and the outbox stay.
      await db.transaction('rw', db.households, db.meta, async () => {
        await db.households.clear();
        await db.meta.delete('cursor');
      });
      cursor = null;
      continue;
    }
    await applyPage(body.data, body.meta.next_cursor);
    cursor = body.meta.next_cursor;
    notify();
    if (!body.meta.has_more) return;
  }
}

export async function counts() {
  const visits = await db.outbox.count();
  const photos = await db.photos.where('state').anyOf('held', 'pending', 'uploading', 'refused').count();
  return { visits, photos };
}
