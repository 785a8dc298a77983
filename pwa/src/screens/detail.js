// Household detail: who lives there, the address with a "Navigasi" action that opens the phone's map
// app, the aid on record, previous visits and the reviewer's notes; start, continue or correct a visit.
import { formatDate, formatDateTime } from '../lib/format.js';
import { html, render } from '../lib/html.js';
import { has, refLabel, t } from '../i18n.js';
import * as drafts from '../store/drafts.js';
import * as store from '../store/households.js';
import * as outbox from '../store/outbox.js';
import { app, backLink } from './common.js';

/** A link that opens the phone's map app at a place: `geo:` on Android, Apple Maps on iPhone/iPad,
 * a Google Maps link elsewhere (where `geo:` is not handled). */
export function navigationUrl({ lat, lon }, label = '', ua = navigator.userAgent) {
  if (/Android/i.test(ua)) return `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(label)})`;
  if (/iPhone|iPad|iPod/i.test(ua)) return `https://maps.apple.com/?daddr=${lat},${lon}&q=${encodeURIComponent(label)}`;
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`;
}

/** A value from a server vocabulary in words (a key of the catalogue when there is one, else as sent). */
export function word(prefix, value) {
  if (value === null || value === undefined || value === '') return '';
  return has(`${prefix}_${value}`) ? t(`${prefix}_${value}`) : String(value);
}

export async function renderDetail({ router }, id) {
  const h = await store.get(id);
  if (!h) { router.go('#/list'); return; }
  const reference = await store.reference();
  const programs = new Map((reference.programs || []).map((p) => [p.code, p.name]));
  const rel = new Map((reference.relationships || []).map((r) => [String(r.code), r]));
  const outcomes = new Map((reference.outcomes || []).map((o) => [o.code, o]));
  const reasons = new Map((reference.review_reasons || []).map((r) => [r.code, r]));
  const draft = await drafts.get(id);
  const sent = await outbox.sentFor(id);
  const lv = h.last_visit;
  // Sent back by the reviewer and not yet visited again from this phone: the reason and comment on top.
  const revisit = store.localStatus(h, await store.visitIndex()) === 'revisit';
  const outcome = (code) => refLabel(outcomes.get(code)) || code;
  const period = (a) => [formatDate(a.period_start), formatDate(a.period_end)].filter(Boolean).join(' – ');
  render(app(), html`
    ${backLink('#/list')}
    <section class="card" data-testid="household-detail" aria-labelledby="hh-title">
      <h1 id="hh-title">${h.head_name}</h1>
      ${revisit ? html`<div class="warn" role="note" data-testid="revisit-note"><strong>${t('revisit_needed')}</strong>
        ${lv?.review_reason_code ? html`<p>${t('revisit_reason')}: <span data-testid="revisit-reason">${refLabel(reasons.get(lv.review_reason_code)) || lv.review_reason_code}</span></p>` : ''}
        ${lv?.review_comment ? html`<p data-testid="revisit-comment">${lv.review_comment}</p>` : ''}</div>` : ''}
      ${h.pending_registry_status ? html`<p class="warn" data-testid="pending-change">${t('pending_change')}: ${word('registry', h.pending_registry_status)}</p>` : ''}
      <p>${t('kk')}: ${h.kk_number || '–'} · ${t('decile')}: ${h.decile ?? '–'}</p>
      <h2>${t('address')}</h2><p>${h.address}, ${t('rt')} ${h.rt}/${t('rw')} ${h.rw}, ${h.kelurahan_name || h.region_code}</p>
      ${h.location ? html`<a class="button" data-testid="navigate" href="${navigationUrl(h.location, h.head_name)}" target="_blank" rel="noopener">${t('navigate')}</a>` : html`<p class="muted">${t('no_location')}</p>`}
      <h2>${t('members')}</h2>
      <ul class="plain">${(h.members || []).map((m) => html`<li>${m.name} · ${t('nik')} ${m.nik || '–'} · ${refLabel(rel.get(String(m.relationship_code))) || m.relationship_code}${m.sex ? ` · ${word('sex', m.sex)}` : ''}${m.birth_date ? ` · ${formatDate(m.birth_date)}` : ''}</li>`)}
        ${(h.members || []).length ? '' : html`<li>${t('none')}</li>`}</ul>
      <h2>${t('aid_on_record')}</h2>
      <ul class="plain" data-testid="aid-on-record">${(h.aid || []).map((a) => html`<li>${programs.get(a.program_code) || a.program_code}${period(a) ? ` · ${period(a)}` : ''}${a.status ? ` · ${word('aid_status', a.status)}` : ''}</li>`)}
        ${(h.aid || []).length ? '' : html`<li>${t('none')}</li>`}</ul>
      <h2>${t('previous_visits')}</h2>
      <ul class="plain">${lv ? html`<li>${formatDateTime(lv.device_time)} · ${outcome(lv.outcome)}${lv.review_status ? ` · ${word('review', lv.review_status)}` : ''}</li>` : ''}
        ${sent.map((v) => html`<li>${formatDateTime(v.payload.device_time)} · ${outcome(v.payload.outcome)} · ${t('status_sent')}</li>`)}
        ${!lv && !sent.length ? html`<li>${t('none')}</li>` : ''}</ul>
      ${lv?.review_comment && !revisit ? html`<h2>${t('reviewer_notes')}</h2><p class="warn" data-testid="review-comment">${lv.review_comment}</p>` : ''}
      <button class="primary" id="start" data-testid="start-visit">${draft ? t('continue_draft') : t('start_visit')}</button>
      ${sent.length && !draft ? html`<button id="correct" data-testid="correct-visit">${t('correct_visit')}</button>` : ''}
      ${draft ? html`<button id="discard" data-testid="discard-draft">${t('discard_draft')}</button>` : ''}
    </section>`);
  document.getElementById('start').onclick = () => router.go(`#/visit/${id}`);
  document.getElementById('discard')?.addEventListener('click', async () => {
    if (!window.confirm(t('discard_confirm'))) return;
    await drafts.discard(id);
    router.route();
  });
  document.getElementById('correct')?.addEventListener('click', async () => {
    await drafts.startCorrection(h, sent);
    router.go(`#/visit/${id}`);
  });
}
