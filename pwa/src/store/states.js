// The states of everything the phone keeps for the server, in one place. Store modules own the
// transitions; screens and the sync engine call them and never write a `state` themselves.
//
// Visit (outbox table; confirmed visits move to the `sent` table):
//   pending ──push──▶ sending ──created / duplicate / accepted_with_conflict──▶ (sent table)
//      ▲                 │ ──network error / 5xx──▶ pending (retried with backoff)
//      │                 └──invalid / conflict / 4xx batch──▶ refused ──"fix & resend"──▶ a new draft
//
// Photo (photos table; deleted once the server has the bytes):
//   draft (in a draft visit) ──visit saved──▶ held ──visit confirmed──▶ pending ──upload──▶ uploading
//   uploading ──done──▶ (deleted)   uploading ──network──▶ pending   uploading ──4xx──▶ refused
//   refused ──"send again"──▶ pending        draft ──removed / draft discarded──▶ (deleted)
//
// Draft (drafts table, one per household): saved on every change; "save & send" turns it into an
// outbox visit (its photos become held) and deletes it.

export const VISIT = { PENDING: 'pending', SENDING: 'sending', REFUSED: 'refused' };
export const PHOTO = { DRAFT: 'draft', HELD: 'held', PENDING: 'pending', UPLOADING: 'uploading', REFUSED: 'refused' };

/** Push results that mean "the server has this visit". */
export const CONFIRMED = new Set(['created', 'duplicate', 'accepted_with_conflict']);
/** Photos that belong to a saved visit and have not reached the server. */
export const UNSENT_PHOTO = [PHOTO.HELD, PHOTO.PENDING, PHOTO.UPLOADING, PHOTO.REFUSED];
/** Photos the sync engine should upload now. */
export const UPLOADABLE_PHOTO = [PHOTO.PENDING, PHOTO.UPLOADING];
/** Visits the sync engine should push now. */
export const PUSHABLE_VISIT = [VISIT.PENDING, VISIT.SENDING];
