// Visits saved on the phone and not yet confirmed by the server, and the confirmed ones (`sent`)
// kept to show them offline and to correct them (states: store/states.js).
import { db } from './db.js';
import { PUSHABLE_VISIT, VISIT } from './states.js';
import * as photos from './photos.js';
import * as drafts from './drafts.js';

/** Which section of the visit form holds each field of a push item. */
const SECTION_OF = { outcome: 'outcome', consent: 'outcome', members: 'members', house_condition: 'house', aid_reported: 'aid', photos: 'photos', gps: 'gps', notes: 'notes' };

/** "Save & send": the draft becomes an outbox visit, its photos wait for it. */
export async function queue(draft, payload, label) {
  await db.transaction('rw', db.outbox, db.photos, db.drafts, async () => {
    await db.outbox.put({ id: payload.id, household_id: draft.household_id, payload, state: VISIT.PENDING, attempts: 0, created_at: new Date().toISOString(), label });
    await photos.hold(draft.visit_id);
    await db.drafts.delete(draft.household_id);
  });
}

export function all() { return db.outbox.orderBy('created_at').toArray(); }
export function count() { return db.outbox.count(); }
export function get(id) { return db.outbox.get(id); }

/** The next batch to push; marks it `sending` and counts the attempt (frozen from here on). */
export async function takeBatch(size) {
  const items = (await all()).filter((item) => PUSHABLE_VISIT.includes(item.state)).slice(0, size);
  const taken = items.map((item) => ({ ...item, state: VISIT.SENDING, attempts: (item.attempts || 0) + 1 }));
  await db.outbox.bulkPut(taken);
  return taken;
}

/** The batch did not get through: back to pending, with why. */
export function putBack(items, error) {
  return db.outbox.bulkPut(items.map((item) => ({ ...item, state: VISIT.PENDING, last_error: error })));
}

/** The whole batch was refused (malformed): each item shows why and can be fixed. */
export function refuseAll(items, error) {
  return db.outbox.bulkPut(items.map((item) => ({ ...item, state: VISIT.REFUSED, last_error: error })));
}

/** One push result: confirmed visits move to `sent` (their photos may upload), others are refused. */
export async function settle(item, result, confirmed, errorText) {
  await db.transaction('rw', db.outbox, db.photos, db.sent, async () => {
    if (confirmed) {
      await db.sent.put({ id: item.id, household_id: item.household_id, payload: item.payload, status: result.status, sent_at: new Date().toISOString(), label: item.label });
      await db.outbox.delete(item.id);
      await photos.release(item.id);
    } else {
      await db.outbox.put({ ...item, state: VISIT.REFUSED, result_status: result?.status, last_error: errorText, errors: result?.errors || null });
    }
  });
}

/** "Fix & resend": the refused visit was not stored, so the fix is a new draft (new UUID) with its photos. */
export async function fixRefused(id) {
  const item = await db.outbox.get(id);
  const draft = drafts.fromPayload(item.payload, {}, await db.households.get(item.household_id));
  // The form opens at the sections the server refused.
  const open = new Set(['outcome', ...Object.keys(item.errors || {}).map((field) => SECTION_OF[field]).filter(Boolean)]);
  draft.ui = { open: [...open] };
  await db.transaction('rw', db.outbox, db.photos, db.drafts, async () => {
    await photos.moveToDraft(item.id, draft.visit_id);
    await db.drafts.put(draft);
    await db.outbox.delete(item.id);
  });
  return item.household_id;
}

export function sentFor(householdId) { return db.sent.where('household_id').equals(householdId).toArray(); }
