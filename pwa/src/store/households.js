// Households pulled from the server, the form's reference data, and what the phone knows about each
// household's visits (for the list's status badges).
import { db, getMeta } from './db.js';

export function all() { return db.households.toArray(); }
export function get(id) { return db.households.get(id); }
export function count() { return db.households.count(); }
/** The first `n` households by name, from the index (without reading the others). */
export function firstByName(n) { return db.households.orderBy('head_name').limit(n).toArray(); }

/** The pull's `reference` (outcomes, presence, photo kinds, programmes, house condition…), or {}. */
export async function reference() { return (await getMeta('reference')) || {}; }

/** Applies one pull page: never goes back a version; tombstones remove; reference and cursor kept. */
export async function applyPage(data, nextCursor) {
  await db.transaction('rw', db.households, db.meta, async () => {
    if (data.households?.length) {
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

/** The cursor expired: households go (drafts, outbox and photos stay) and the pull starts again. */
export async function resetPull() {
  await db.transaction('rw', db.households, db.meta, async () => {
    await db.households.clear();
    await db.meta.delete('cursor');
  });
}

/** After logout: the next person on this phone must not see these households. */
export async function forget() {
  await db.transaction('rw', db.households, db.sent, db.meta, async () => {
    await db.households.clear();
    await db.sent.clear();
    await db.meta.bulkDelete(['cursor', 'reference', 'last_sync']);
  });
}

/** What the phone knows about each household's visits, read once per render (not per household). */
export async function visitIndex() {
  const [unsent, sent] = await Promise.all([db.outbox.toArray(), db.sent.toArray()]);
  const latestSent = new Map();
  for (const visit of sent) {
    const at = Date.parse(visit.payload.device_time);
    if (!(latestSent.get(visit.household_id) >= at)) latestSent.set(visit.household_id, at);
  }
  return { unsent: new Set(unsent.map((v) => v.household_id)), latestSent };
}

/** todo (also after a rejected finding) / visited (unsent here) / sent / revisit. */
export function localStatus(household, index) {
  const sentAt = index.latestSent.get(household.id);
  // Sent back for a revisit stays so until this phone sends a visit newer than the one sent back.
  const revisit = household.verification_status === 'revisit' || household.last_visit?.review_status === 'revisit';
  const revisitedAfter = sentAt !== undefined && (!household.last_visit || sentAt > Date.parse(household.last_visit.device_time));
  if (revisit && !revisitedAfter) return 'revisit';
  // A rejected finding puts the household back on the list to be visited (nothing changed in the registry).
  const rejected = household.verification_status === 'unverified' && household.last_visit?.review_status === 'rejected';
  if (rejected && !revisitedAfter && !index.unsent.has(household.id)) return 'todo';
  if (index.unsent.has(household.id)) return 'visited';
  if (sentAt !== undefined || household.last_visit || ['visited', 'approved', 'rejected'].includes(household.verification_status)) return 'sent';
  return 'todo';
}
