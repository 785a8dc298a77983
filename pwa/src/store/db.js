// IndexedDB (Dexie): pulled households, drafts, the outbox of visits and photos, and small key/values.
// Photos are kept as ArrayBuffer + type, because Safari's Blob storage in IndexedDB is unreliable.
import Dexie from 'dexie';

export const db = new Dexie('verval');
db.version(1).stores({
  households: 'id, region_code, rt, verification_status, kk_number, head_name',
  drafts: 'household_id, visit_id, updated_at',
  // Visits waiting for the server; removed only after created / duplicate / accepted_with_conflict.
  outbox: 'id, household_id, state, created_at',
  // Photo bytes waiting for upload; `visit_id` links them to their visit (or draft).
  photos: 'id, visit_id, state',
  // Visits the server confirmed (to show "sent" offline and to correct them later).
  sent: 'id, household_id',
  meta: 'key',
});

export async function getMeta(key, fallback = null) {
  const row = await db.meta.get(key);
  return row ? row.value : fallback;
}

export async function setMeta(key, value) {
  await db.meta.put({ key, value });
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
