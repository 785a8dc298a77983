// Visit drafts: one per household, saved on every change, so a reload or a closed tab loses nothing.
import { db, uuid } from './db.js';
import * as photos from './photos.js';

function empty(household) {
  return {
    outcome: '', consent: false, notes: '', house_condition: {}, aid_reported: [], no_fix_reason: '',
    members: (household?.members || []).map((m) => ({ member_id: m.id, presence: 'present', name: m.name })),
  };
}

/** The draft of a household, created if there is none. Aid is not pre-ticked: the enumerator confirms
 * what the family says it receives; the form marks which programmes are on record beside each box. */
export async function load(householdId, household) {
  let draft = await db.drafts.get(householdId);
  if (!draft) {
    const form = empty(household);
    draft = { household_id: householdId, visit_id: uuid(), updated_at: Date.now(), base_version: household?.version ?? null, new_household: null, supersedes_id: null, form };
    await db.drafts.put(draft);
  }
  return draft;
}

export function get(householdId) { return db.drafts.get(householdId); }
export function all() { return db.drafts.toArray(); }
export function count() { return db.drafts.count(); }

export async function save(draft) {
  draft.updated_at = Date.now();
  await db.drafts.put(draft);
}

/** A proposed new household starts as a draft of its own. */
export async function propose(newHousehold) {
  const draft = {
    household_id: newHousehold.id, visit_id: uuid(), updated_at: Date.now(), base_version: null, new_household: newHousehold,
    supersedes_id: null, form: { ...empty(null), outcome: 'found' },
  };
  await db.drafts.put(draft);
  return draft;
}

export async function discard(householdId) {
  const draft = await db.drafts.get(householdId);
  if (!draft) return;
  await db.transaction('rw', db.drafts, db.photos, async () => {
    await photos.removeOfVisit(draft.visit_id);
    await db.drafts.delete(householdId);
  });
}

/** A new draft (new visit UUID) from a visit already made: for a correction or to fix a refused visit.
 * Members get their names back from the household; the original GPS fix is kept (the enumerator may no
 * longer be at the door), so the form does not watch the position again. */
export function fromPayload(payload, extra = {}, household = null) {
  const names = new Map((household?.members || []).map((m) => [m.id, m.name]));
  const fix = payload.gps && !payload.gps.no_fix ? payload.gps : null;
  return {
    household_id: payload.household_id, visit_id: uuid(), updated_at: Date.now(),
    base_version: payload.base_version, new_household: payload.new_household, supersedes_id: payload.supersedes_id || null,
    gps: fix, keep_gps: Boolean(fix),
    form: {
      outcome: payload.outcome, consent: payload.consent, notes: payload.notes || '',
      members: payload.members.map((m) => (m.member_id ? { ...m, name: names.get(m.member_id) ?? m.name ?? '' } : { ...m })),
      house_condition: payload.house_condition || {}, aid_reported: payload.aid_reported || [],
      no_fix_reason: payload.gps?.no_fix ? payload.gps.reason : '',
    },
    ...extra,
  };
}

/** A correction of the last sent visit, against the household as the phone knows it now. */
export async function startCorrection(household, sentVisits) {
  const last = [...sentVisits].sort((a, b) => a.sent_at.localeCompare(b.sent_at)).at(-1);
  const draft = fromPayload(last.payload, { supersedes_id: last.id, base_version: household.version ?? null }, household);
  await db.drafts.put(draft);
  return draft;
}
