// The visit form, in sections that fold (outcome and consent; members; house; aid; photos; GPS;
// notes and save) with the save bar always on screen. Every choice list (outcomes, presence, photo
// kinds, relationships, programmes, house condition) comes from the pull's `reference`, so the phone
// offers exactly what the server accepts. The draft is saved on every change.
import { formatBytes, formatNumber, formatShortTime, localIsoTime } from '../lib/format.js';
import { html, render } from '../lib/html.js';
import { has, refLabel, t } from '../i18n.js';
import { POOR_ACCURACY_M, preparePhoto, watchBestFix } from '../media.js';
import * as drafts from '../store/drafts.js';
import * as store from '../store/households.js';
import * as outbox from '../store/outbox.js';
import * as photoStore from '../store/photos.js';
import { sync } from '../sync.js';
import { app, backLink } from './common.js';
import { renderStatus } from './status.js';

const HOUSE_FIELDS = ['ownership', 'floor', 'wall', 'roof', 'water', 'lighting', 'cooking_fuel', 'toilet'];
const SECTIONS = ['outcome', 'members', 'house', 'aid', 'photos', 'gps', 'notes'];
/** "Foto tersimpan …" survives the redraw that shows the new thumbnail. */
let photoMessage = { visitId: null, text: '' };

const option = (value, label, selected) => html`<option value="${value}" ${String(selected) === String(value) ? html`selected` : ''}>${label}</option>`;

function section(draft, name, title, summary, body) {
  const open = (draft.ui?.open || ['outcome']).includes(name);
  return html`<details class="section" data-section="${name}" data-testid="section-${name}" ${open ? html`open` : ''}>
    <summary><span>${title}</span>${summary ? html`<small class="sum">${summary}</small>` : ''}</summary>
    <div class="section-body">${body}</div></details>`;
}

export async function renderVisit({ router }, householdId) {
  const household = await store.get(householdId);
  const draft = await drafts.load(householdId, household);
  const reference = await store.reference();
  const outcomes = reference.outcomes || [];
  const presence = (reference.presence || []).filter((p) => p.code !== 'new');
  const kinds = reference.photo_kinds || [];
  const relationships = reference.relationships || [];
  const programs = reference.programs || [];
  const hc = reference.house_condition || {};
  const f = draft.form;
  const photos = await photoStore.ofVisit(draft.visit_id);
  const title = draft.new_household ? `${t('proposed')}: ${draft.new_household.head_name}` : household?.head_name;
  const onRecord = new Set((household?.aid || []).map((a) => a.program_code));
  const houseKeys = [...HOUSE_FIELDS.filter((k) => hc[k]?.length), ...Object.keys(hc).filter((k) => !HOUSE_FIELDS.includes(k))];
  const outcomeLabel = refLabel(outcomes.find((o) => o.code === f.outcome));
  const answeredHouse = Object.keys(f.house_condition).length;
  const aidDiff = programs.filter((p) => onRecord.has(p.code) !== f.aid_reported.includes(p.code)).length;
  if (photoMessage.visitId !== draft.visit_id) photoMessage = { visitId: draft.visit_id, text: '' };

  render(app(), html`
    ${backLink(household ? `#/hh/${householdId}` : '#/list')}
    <form id="visit" class="card form" data-testid="visit-form" novalidate aria-labelledby="visit-title">
      <h1 id="visit-title">${t('visit_form')}</h1><p><strong>${title}</strong>${draft.supersedes_id ? ` · ${t('correction')}` : ''}</p>
      ${outcomes.length ? '' : html`<p class="warn" data-testid="no-reference">${t('no_reference')}</p>`}
      ${section(draft, 'outcome', t('section_outcome'), outcomeLabel || t('not_filled'), html`
        <label>${t('outcome')}<select name="outcome" data-testid="outcome">${option('', t('choose'), f.outcome)}${outcomes.map((o) => option(o.code, refLabel(o), f.outcome))}</select></label>
        <label class="check"><input type="checkbox" name="consent" data-testid="consent" ${f.consent ? html`checked` : ''}> ${t('consent')}</label>`)}
      ${section(draft, 'members', t('members'), t('n_members', { n: formatNumber(f.members.length) }), html`
        ${f.members.map((m, i) => (m.presence === 'new' || !m.member_id ? html`
          <fieldset class="member new" data-index="${i}"><legend>${t('new_member')}</legend>
            <label>${t('name')}<input data-m="${i}" data-k="name" value="${m.name || ''}" data-testid="new-member-name"></label>
            <label>${t('nik')}<input data-m="${i}" data-k="nik" inputmode="numeric" maxlength="16" value="${m.nik || ''}" data-testid="new-member-nik"></label>
            <div class="row"><label>${t('sex')}<select data-m="${i}" data-k="sex">${option('', t('choose'), m.sex ?? '')}${option(1, t('sex_1'), m.sex)}${option(2, t('sex_2'), m.sex)}</select></label>
            <label>${t('birth_date')}<input data-m="${i}" data-k="birth_date" type="date" value="${m.birth_date || ''}"></label></div>
            <label>${t('relationship')}<select data-m="${i}" data-k="relationship_code">${option('', t('choose'), m.relationship_code ?? '')}${relationships.map((r) => option(r.code, refLabel(r), m.relationship_code))}</select></label>
            <button type="button" class="small" data-remove="${i}">${t('remove')}</button></fieldset>` : html`
          <div class="member" data-index="${i}"><label>${m.name}
            <select data-m="${i}" data-k="presence" data-testid="presence">${presence.map((p) => option(p.code, refLabel(p), m.presence))}</select></label></div>`))}
        <button type="button" id="add-member" data-testid="add-member">+ ${t('add_member')}</button>`)}
      ${section(draft, 'house', t('house_condition'), t('n_answered', { n: formatNumber(answeredHouse) }), html`
        <label>${t('hc_floor_area')}<input name="hc_floor_area" type="number" inputmode="decimal" min="0" value="${f.house_condition.floor_area ?? ''}"></label>
        ${houseKeys.map((k) => html`<label>${has(`hc_${k}`) ? t(`hc_${k}`) : k}<select name="hc_${k}">${option('', t('choose'), f.house_condition[k] ?? '')}${hc[k].map((o) => option(o.code, refLabel(o), f.house_condition[k]))}</select></label>`)}`)}
      ${section(draft, 'aid', t('aid_received'), aidDiff ? t('n_differences', { n: formatNumber(aidDiff) }) : t('n_on_record', { n: formatNumber(onRecord.size) }), html`
        <p class="muted">${t('aid_hint')}</p>
        ${programs.map((p) => {
          const recorded = onRecord.has(p.code);
          const differs = recorded !== f.aid_reported.includes(p.code);
          return html`<label class="check aid ${differs ? 'diff' : ''}" data-testid="aid-${p.code}"><input type="checkbox" name="aid" value="${p.code}" ${f.aid_reported.includes(p.code) ? html`checked` : ''}>
            <span>${p.name || p.code}${recorded ? html` <span class="badge recorded" data-testid="aid-recorded">${t('on_record')}</span>` : ''}${differs ? html` <span class="badge differs">${t('differs')}</span>` : ''}</span></label>`;
        })}
        ${programs.length ? '' : html`<p class="muted">${t('none')}</p>`}`)}
      ${section(draft, 'photos', t('photos'), t('n_photos', { n: formatNumber(photos.length) }), html`
        <p class="muted">${t('take_photo_hint')}</p><div class="photo-grid">
        ${kinds.map((kind) => {
          const have = photos.filter((p) => p.kind === kind.code);
          return html`<div class="photo-kind">
            <label class="take"><span>${refLabel(kind)}</span>${have.length ? html` <span class="ok" data-testid="photo-ok-${kind.code}">✓ ${have.length}</span>` : html` <span class="plus" aria-hidden="true">+</span>`}<input type="file" accept="image/*" capture="environment" data-kind="${kind.code}" data-testid="photo-${kind.code}"></label>
            ${have.length ? html`<ul class="thumbs" data-testid="photo-list">${have.map((p) => html`<li><img alt="${refLabel(kind)}" data-thumb="${p.id}">
              <button type="button" class="small" data-remove-photo="${p.id}" data-testid="remove-photo">${t('remove')}</button></li>`)}</ul>` : ''}</div>`;
        })}
        </div><p id="photo-msg" class="muted" data-testid="photo-msg" role="status">${photoMessage.text}</p>`)}
      ${section(draft, 'gps', t('gps'), draft.gps ? `±${formatNumber(Math.round(draft.gps.accuracy_m))} m` : t('not_filled'), html`
        <p id="gps" data-testid="gps-status" role="status">${t('gps_waiting')}</p>
        <p id="gps-advice" class="warn" data-testid="gps-poor" hidden>${t('gps_poor')}</p>
        <label>${t('no_fix_reason')}<input name="no_fix_reason" value="${f.no_fix_reason || ''}"></label>`)}
      ${section(draft, 'notes', t('notes'), f.notes ? t('filled') : '', html`
        <label>${t('notes')}<textarea name="notes" rows="3" data-testid="notes">${f.notes}</textarea></label>`)}
      <div class="savebar">
        <p id="form-error" class="err" data-testid="form-error" role="alert"></p>
        <p id="draft-msg" class="muted" data-testid="draft-msg"></p>
        <button type="submit" class="primary" data-testid="save-send">${t('save_send')}</button>
      </div>
    </form>`);

  const form = document.getElementById('visit');
  form.querySelectorAll('details.section').forEach((el) => {
    el.addEventListener('toggle', () => {
      const open = new Set(draft.ui?.open || ['outcome']);
      if (el.open) open.add(el.dataset.section); else open.delete(el.dataset.section);
      draft.ui = { ...(draft.ui || {}), open: SECTIONS.filter((s) => open.has(s)) };
      drafts.save(draft);
    });
  });
  // Thumbnails from the stored bytes; their object URLs are released when the screen goes.
  for (const img of form.querySelectorAll('[data-thumb]')) {
    const photo = photos.find((p) => p.id === img.dataset.thumb);
    const url = URL.createObjectURL(new Blob([photo.data], { type: photo.type }));
    img.src = url;
    router.onLeave(() => URL.revokeObjectURL(url));
  }
  form.querySelectorAll('[data-remove-photo]').forEach((button) => {
    button.onclick = async () => { await photoStore.remove(button.dataset.removePhoto); photoMessage.text = ''; await save(); router.route(); };
  });

  let fix = draft.gps || null;
  let latest = null;
  const gpsEl = document.getElementById('gps');
  const advice = document.getElementById('gps-advice');
  const showFix = (error) => {
    if (fix) {
      const now = latest && latest !== fix ? ` · ${t('gps_now', { m: formatNumber(Math.round(latest.accuracy_m)) })}` : '';
      gpsEl.textContent = `${t('gps_accuracy', { m: formatNumber(Math.round(fix.accuracy_m)) })} (${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)})${now}`;
      advice.hidden = fix.accuracy_m <= POOR_ACCURACY_M;
      const sum = form.querySelector('[data-section=gps] .sum');
      if (sum) sum.textContent = `±${formatNumber(Math.round(fix.accuracy_m))} m`;
    } else {
      gpsEl.textContent = error === 'denied' ? t('gps_denied') : error ? t('gps_none') : t('gps_waiting');
      advice.hidden = true;
    }
  };
  showFix();
  if (!draft.keep_gps) {
    router.onLeave(watchBestFix(({ best, latest: reading, error }) => {
      if (reading) latest = reading;
      if (best && (!fix || best.accuracy_m <= fix.accuracy_m)) { fix = best; draft.gps = fix; save(); }
      showFix(error);
    }));
  }

  async function save() {
    await drafts.save(draft);
    const msg = document.getElementById('draft-msg');
    if (msg) msg.textContent = `${t('draft_saved')} ${formatShortTime(new Date())}`;
  }
  form.addEventListener('input', (event) => {
    const el = event.target;
    if (el.type === 'file') return;
    if (el.dataset.m !== undefined) {
      const member = f.members[Number(el.dataset.m)];
      member[el.dataset.k] = el.dataset.k === 'sex' || el.dataset.k === 'relationship_code' ? (el.value ? Number(el.value) : null) : el.value;
    } else if (el.name === 'consent') f.consent = el.checked;
    else if (el.name === 'aid') {
      f.aid_reported = [...form.querySelectorAll('input[name=aid]:checked')].map((x) => x.value);
      const label = el.closest('label');
      const recorded = onRecord.has(el.value);
      label.classList.toggle('diff', recorded !== el.checked);
    } else if (el.name?.startsWith('hc_')) {
      const key = el.name.slice(3);
      if (el.value === '') delete f.house_condition[key];
      else f.house_condition[key] = el.type === 'number' ? Number(el.value) : el.value;
    } else if (el.name) f[el.name] = el.value;
    save();
  });
  form.addEventListener('change', async (event) => {
    const el = event.target;
    if (el.type !== 'file' || !el.files.length) return;
    const msg = document.getElementById('photo-msg');
    msg.textContent = t('photo_preparing');
    for (const file of el.files) {
      try {
        const prepared = await preparePhoto(file);
        await photoStore.addToDraft(draft.visit_id, el.dataset.kind, prepared, { capturedAt: new Date(), fix: latest || fix });
        photoMessage.text = t('photo_saved', { w: prepared.width, h: prepared.height, size: formatBytes(prepared.size) });
      } catch (error) {
        console.error('photo could not be prepared', error);
        photoMessage.text = t('photo_failed');
      }
    }
    await save();
    // Redraw with the new thumbnail where the enumerator was (everything typed is in the draft already).
    const y = window.scrollY;
    await router.route();
    window.scrollTo(0, y);
  });
  form.querySelector('#add-member').onclick = async () => { f.members.push({ member_id: null, presence: 'new', name: '' }); await save(); router.route(); };
  form.querySelectorAll('[data-remove]').forEach((b) => { b.onclick = async () => { f.members.splice(Number(b.dataset.remove), 1); await save(); router.route(); }; });
  form.onsubmit = async (event) => {
    event.preventDefault();
    const error = document.getElementById('form-error');
    if (!f.outcome) {
      error.textContent = `${t('outcome')}: ${t('required')}`;
      const first = form.querySelector('[data-section=outcome]');
      first.open = true;
      first.scrollIntoView();
      return;
    }
    const visitPhotos = await photoStore.ofVisit(draft.visit_id);
    const payload = {
      id: draft.visit_id, household_id: householdId, base_version: draft.base_version ?? null,
      new_household: draft.new_household || null, supersedes_id: draft.supersedes_id || null,
      device_time: localIsoTime(new Date()),
      gps: fix ? { lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy_m, fixed_at: fix.fixed_at } : { no_fix: true, reason: f.no_fix_reason || t('no_fix_default') },
      outcome: f.outcome, consent: !!f.consent,
      members: f.members.map((m) => (m.presence === 'new' || !m.member_id
        ? { member_id: null, presence: 'new', name: m.name, nik: m.nik || undefined, sex: m.sex || undefined, birth_date: m.birth_date || undefined, relationship_code: m.relationship_code || undefined }
        : { member_id: m.member_id, presence: m.presence })),
      house_condition: f.house_condition, aid_reported: f.aid_reported, notes: f.notes || '',
      photos: visitPhotos.map(photoStore.declaration),
    };
    await outbox.queue(draft, payload, title);
    await router.go('#/outbox');
    renderStatus();
    sync({ force: true });
  };
}
