// The outbox: each unsent visit with its household's name and its photos under it, what is being sent
// right now, why something was refused (the catalogue's words, the technical part behind a toggle) and
// what to do about it; photos of visits already confirmed, grouped the same way; unfinished drafts.
import { formatBytes, formatDateTime, formatNumber } from '../lib/format.js';
import { html, render } from '../lib/html.js';
import { has, refLabel, serverText, t } from '../i18n.js';
import * as drafts from '../store/drafts.js';
import { db } from '../store/db.js';
import * as store from '../store/households.js';
import * as outbox from '../store/outbox.js';
import * as photoStore from '../store/photos.js';
import { PHOTO, VISIT } from '../store/states.js';
import { fieldErrors, retryPhoto, state as syncState } from '../sync.js';
import { app, errorBlock, tabs } from './common.js';
import { renderStatus } from './status.js';

function fieldLabel(part) {
  if (typeof part === 'number') return formatNumber(part);
  return has(`field_${part}`) ? t(`field_${part}`) : has(part) ? t(part) : part;
}

/** "Anggota keluarga › 3 › NIK: Nomor urut NIK tidak boleh 0000" for each field the server refused. */
function refusalLines(errors) {
  return fieldErrors(errors).map(([path, message]) => {
    const where = path.map(fieldLabel).join(' › ');
    const words = message.includes(' / ') ? serverText(message) : '';
    return [where, words].filter(Boolean).join(': ');
  });
}

function sendingNow(kind, id) {
  return syncState.running && syncState.sending?.kind === kind && syncState.sending.ids.includes(id);
}

function badge(kind, item) {
  const now = sendingNow(kind, item.id);
  const key = now ? (kind === 'photo' ? 'state_uploading' : 'state_sending') : `state_${item.state}`;
  return html`<span class="badge ${now ? 'now' : item.state}">${t(key)}</span>`;
}

function photoRow(p, kinds) {
  return html`<li class="photo-row ${p.state}" data-testid="outbox-photo" data-id="${p.id}" data-state="${p.state}">
    <span class="line"><span>${t('photo')}: ${refLabel(kinds.get(p.kind)) || p.kind} · ${formatBytes(p.size)}</span>${badge('photo', p)}</span>
    ${p.state === PHOTO.HELD ? html`<small class="muted">${t('photo_waits_for_visit')}</small>` : ''}
    ${p.last_error ? errorBlock(p.last_error, { what: 'photo' }) : ''}
    ${p.state === PHOTO.REFUSED ? html`<button data-retry-photo="${p.id}" data-testid="retry-photo">${t('retry')}</button>` : ''}</li>`;
}

export async function renderOutbox({ router }) {
  const reference = await store.reference();
  const kinds = new Map((reference.photo_kinds || []).map((k) => [k.code, k]));
  const outcomes = new Map((reference.outcomes || []).map((o) => [o.code, o]));
  const visits = await outbox.all();
  const photos = await photoStore.unsent();
  const draftList = await drafts.all();
  const byVisit = new Map();
  for (const p of photos) byVisit.set(p.visit_id, [...(byVisit.get(p.visit_id) || []), p]);
  const visitIds = new Set(visits.map((v) => v.id));
  // Photos of visits the server already has: grouped under that visit's household.
  const sentIds = [...byVisit.keys()].filter((id) => !visitIds.has(id));
  const sent = new Map((await db.sent.bulkGet(sentIds)).filter(Boolean).map((s) => [s.id, s]));
  const householdIds = [...new Set([...draftList.map((d) => d.household_id), ...[...sent.values()].map((s) => s.household_id)])];
  const names = new Map((await db.households.bulkGet(householdIds)).filter(Boolean).map((h) => [h.id, h.head_name]));
  const sentLabel = (id) => sent.get(id)?.label || names.get(sent.get(id)?.household_id) || t('visit');

  render(app(), html`
    ${tabs('outbox')}
    <h1 class="sr-only">${t('outbox')}</h1>
    ${!visits.length && !photos.length ? html`<p class="muted" data-testid="outbox-empty">${t('outbox_empty')}</p>` : ''}
    <ul class="list" data-testid="outbox">
      ${visits.map((v) => html`<li class="outbox-item ${v.state}" data-testid="outbox-visit" data-id="${v.id}" data-state="${v.state}">
        <span class="line"><strong>${v.label || t('visit')}</strong>${badge('visit', v)}</span>
        <small>${refLabel(outcomes.get(v.payload.outcome)) || v.payload.outcome} · ${formatDateTime(v.created_at)}${v.attempts ? ` · ${t('attempts')}: ${formatNumber(v.attempts)}` : ''}</small>
        ${v.last_error ? errorBlock(v.last_error, { extra: v.errors ? html`<ul class="plain">${refusalLines(v.errors).map((line) => html`<li>${line}</li>`)}</ul>` : '' }) : ''}
        ${v.state === VISIT.REFUSED ? html`<button data-fix="${v.id}" data-testid="fix-resend">${t('fix_resend')}</button>` : ''}
        ${byVisit.has(v.id) ? html`<ul class="photo-rows">${byVisit.get(v.id).map((p) => photoRow(p, kinds))}</ul>` : ''}</li>`)}
      ${sentIds.map((id) => html`<li class="outbox-item" data-testid="outbox-group" data-id="${id}">
        <span class="line"><strong>${sentLabel(id)}</strong><span class="badge sent">${t('visit_sent')}</span></span>
        <ul class="photo-rows">${byVisit.get(id).map((p) => photoRow(p, kinds))}</ul></li>`)}
    </ul>
    ${draftList.length ? html`<h2>${t('drafts')}</h2><ul class="list" data-testid="drafts">${draftList.map((d) => html`<li><a href="#/visit/${d.household_id}" data-testid="draft-item">
      <strong>${d.new_household ? `${t('proposed')}: ${d.new_household.head_name}` : names.get(d.household_id) || t('visit')}</strong>
      <small>${t('draft_saved')} ${formatDateTime(d.updated_at)}</small></a></li>`)}</ul>` : ''}`);
  router.onRefresh(() => renderOutbox({ router }));
  app().querySelectorAll('[data-retry-photo]').forEach((button) => {
    button.onclick = async () => { const run = retryPhoto(button.dataset.retryPhoto); renderStatus(); router.route(); await run; };
  });
  app().querySelectorAll('[data-fix]').forEach((button) => {
    button.onclick = async () => {
      const householdId = await outbox.fixRefused(button.dataset.fix);
      renderStatus();
      router.go(`#/visit/${householdId}`);
    };
  });
}
