// Photo bytes kept on the phone until the server has them (states: store/states.js).
import { db, uuid } from './db.js';
import { PHOTO, UNSENT_PHOTO, UPLOADABLE_PHOTO } from './states.js';

/** Adds a prepared photo to a draft visit, with the app's own capture time and GPS fix. */
export async function addToDraft(visitId, kind, prepared, { capturedAt = new Date(), fix = null } = {}) {
  const photo = {
    id: uuid(), visit_id: visitId, kind, state: PHOTO.DRAFT, ...prepared,
    taken_at: capturedAt.toISOString(),
    capture_fix: fix ? { lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy_m, fixed_at: fix.fixed_at } : null,
  };
  await db.photos.put(photo);
  return photo;
}

export function ofVisit(visitId) { return db.photos.where('visit_id').equals(visitId).toArray(); }
export function remove(id) { return db.photos.delete(id); }
export function removeOfVisit(visitId) { return db.photos.where('visit_id').equals(visitId).delete(); }

/** The declaration the visit carries for each of its photos. */
export function declaration(photo) {
  const out = { id: photo.id, kind: photo.kind, sha256: photo.sha256 };
  if (photo.taken_at) out.captured_at = photo.taken_at;
  if (photo.capture_fix) out.capture_location = { lon: photo.capture_fix.lon, lat: photo.capture_fix.lat, accuracy_m: photo.capture_fix.accuracy_m };
  return out;
}

export function hold(visitId) { return db.photos.where('visit_id').equals(visitId).modify({ state: PHOTO.HELD }); }
export function release(visitId) { return db.photos.where('visit_id').equals(visitId).modify({ state: PHOTO.PENDING }); }
/** A refused visit's photos move to the draft that fixes it (they were never uploaded). */
export function moveToDraft(fromVisitId, toVisitId) {
  return db.photos.where('visit_id').equals(fromVisitId).modify({ visit_id: toVisitId, state: PHOTO.DRAFT });
}

export function uploadable() { return db.photos.where('state').anyOf(UPLOADABLE_PHOTO).toArray(); }
export function unsent() { return db.photos.where('state').anyOf(UNSENT_PHOTO).toArray(); }
export function countUnsent() { return db.photos.where('state').anyOf(UNSENT_PHOTO).count(); }

export function markUploading(id) { return db.photos.update(id, { state: PHOTO.UPLOADING }); }
export function markDone(id) { return db.photos.delete(id); }
export function markRetry(photo, error) {
  return db.photos.update(photo.id, { state: PHOTO.PENDING, last_error: error, attempts: (photo.attempts || 0) + 1 });
}
export function markRefused(photo, error) {
  return db.photos.update(photo.id, { state: PHOTO.REFUSED, last_error: error, attempts: (photo.attempts || 0) + 1 });
}
/** A refused photo goes back in the queue (after the office fixed the cause). */
export function retry(id) { return db.photos.update(id, { state: PHOTO.PENDING, last_error: null }); }
