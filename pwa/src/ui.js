// Screens: login, household list, detail, visit form, outbox, new-household proposal. Plain DOM;
// every visible string comes from i18n.js.
import { HttpError, login, logout, getAuth } from './api.js';
import { db, getMeta, uuid } from './db.js';
import { getLang, refLabel, setLang, t } from './i18n.js';
import { distanceKm, POOR_ACCURACY_M, preparePhoto, watchBestFix } from './media.js';
import { counts, retryPhoto, state as syncState, sync, whenIdle } from './sync.js';

const OUTCOMES = ['found', 'not_found', 'moved_within', 'moved_outside', 'deceased', 'duplicate', 'merged', 'refused', 'building_gone'];
const PRESENCE = ['present', 'moved', 'deceased', 'not_found'];
const PHOTO_KINDS = ['house_front', 'living_room', 'kitchen', 'bathroom', 'family_card'];
const HOUSE_FIELDS = ['ownership', 'floor', 'wall', 'roof', 'water', 'lighting', 'cooking_fuel', 'toilet'];

const app = () => document.getElementById('app');
let cleanup = [];
const listState = { q: '', kel: '', rt: '', status: '', sort: 'name', position: null };

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function go(hash) { location.hash = hash; }

let routing = Promise.resolve();
/** Renders the screen of the current hash; calls are queued so a slower older render never lands last. */
export function route() {
  routing = routing.then(renderRoute, renderRoute);
  return routing;
}

async function renderRoute() {
  for (const fn of cleanup) fn();
  cleanup = [];
  const [, name, arg] = (location.hash || '#/list').split('/');
  const auth = await getAuth();
  if (!auth?.access_token && !auth?.refresh_token) return renderLogin(Boolean(auth?.expired) || syncState.needsLogin);
  if (syncState.needsLogin && name !== 'login') return renderLogin(true);
  switch (name) {
    case 'hh': return renderDetail(arg);
    case 'visit': return renderVisit(arg);
    case 'outbox': return renderOutbox();
    case 'propose': return renderPropose();
    case 'login': return renderLogin(syncState.needsLogin);
    default: return renderList();
  }
}

// ---------- status bar ----------
/** Time only for today, day/month and time otherwise: the bar must fit one line on a 360 px phone. */
function shortTime(iso) {
  const date = new Date(iso);
  const locale = getLang() === 'en' ? 'en-GB' : 'id-ID';
  const time = date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString(locale, { day: 'numeric', month: 'short' })} ${time}`;
}

export async function renderStatus() {
  const el = document.getElementById('status');
  const { visits, photos } = await counts();
  const last = await getMeta('last_sync');
  // Read on every render: photos and pulls change the usage.
  const storage = navigator.storage?.estimate ? await navigator.storage.estimate().catch(() => ({})) : {};
  const persisted = await getMeta('storage_persisted', false);
  const online = navigator.onLine;
  const auth = await getAuth();
  const mb = (bytes) => (bytes / 1048576).toFixed(1);
  const storageTitle = storage.usage != null ? `${t('storage')}: ${mb(storage.usage)} / ${mb(storage.quota)} MB${persisted ? ` (${t('storage_persisted')})` : ''}` : '';
  el.innerHTML = `
    <div class="bar">
      <span class="pill ${online ? 'on' : 'off'}" data-testid="online">${online ? t('online') : t('offline')}</span>
      <a href="#/outbox" class="counts"><span data-testid="unsent-visits" data-count="${visits}" title="${t('unsent_visits')}">✉ ${visits}</span>
      <span data-testid="unsent-photos" data-count="${photos}" title="${t('unsent_photos')}">${t('photo')} ${photos}</span></a>
      <button id="sync-btn" class="small" ${syncState.running ? 'disabled' : ''}>${syncState.running ? t('syncing') : t('sync_now')}</button>
    </div>
    <div class="bar sub">
      <span data-testid="last-sync">${t('last_sync')}: ${last ? shortTime(last) : t('never')}</span>
      <span data-testid="storage" title="${esc(storageTitle)}">${storage.usage != null ? `${mb(storage.usage)} MB` : ''}</span>
      <button id="lang-btn" class="small link">${t('language')}</button>
      ${auth?.refresh_token ? `<button id="logout-btn" class="small link" data-testid="logout">${t('logout')}</button>` : ''}
      ${syncState.lastError ? `<span class="err" data-testid="sync-error">${syncState.lastError === 'network' ? t('error_network') : esc(syncState.lastError)}</span>` : ''}
    </div>`;
  el.querySelector('#sync-btn').onclick = () => sync({ force: true });
  el.querySelector('#logout-btn')?.addEventListener('click', async () => {
    // Logging out never throws work away: unsent visits, photos and drafts must go (or be finished) first.
    const drafts = await db.drafts.count();
    if (visits || photos || drafts) { window.alert(t('logout_unsent', { v: visits, p: photos, d: drafts })); return; }
    if (!window.confirm(t('logout_confirm'))) return;
    await logout();
    // The next person on this phone must not see these households: clear them and pull from scratch.
    await db.transaction('rw', db.households, db.sent, db.meta, async () => {
      await db.households.clear();
      await db.sent.clear();
      await db.meta.bulkDelete(['cursor', 'reference', 'last_sync']);
    });
    renderStatus();
    route();
  });
  el.querySelector('#lang-btn').onclick = () => { setLang(getLang() === 'id' ? 'en' : 'id'); renderStatus(); route(); };
}

// ---------- login ----------
function renderLogin(expired = false) {
  app().innerHTML = `
    <section class="card">
      <h1>${t('login_title')}</h1>
      ${expired ? `<p class="warn" data-testid="login-again">${t('login_again')}</p>` : ''}
      <form id="login-form">
        <label>${t('username')}<input name="username" autocomplete="username" required></label>
        <label>${t('password')}<input name="password" type="password" autocomplete="current-password" required></label>
        <label>${t('device_name')}<input name="device_name" value="${esc(navigator.platform || 'HP')}"></label>
        <p class="err" id="login-error" data-testid="login-error"></p>
        <button type="submit" class="primary">${t('login')}</button>
      </form>
    </section>`;
  document.getElementById('login-form').onsubmit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const error = document.getElementById('login-error');
    if (!navigator.onLine) { error.textContent = t('need_online_login'); return; }
    try {
      await login({ username: form.get('username'), password: form.get('password'), deviceName: form.get('device_name') || 'HP' });
      // A sync that started before the login (at app start) fails with "login needed" when it ends: let it
      // end first, so it cannot send the enumerator back to this screen.
      await whenIdle();
      syncState.needsLogin = false;
      go('#/list');
      await route();
      sync({ force: true });
    } catch (e) {
      error.textContent = `${t('login_failed')}: ${e instanceof HttpError ? e.message : t('error_network')}`;
    }
  };
}

// ---------- household list ----------
/** What the phone knows about each household's visits, read once per render (not per household). */
async function visitIndex() {
  const [unsent, sent] = await Promise.all([db.outbox.toArray(), db.sent.toArray()]);
  const latestSent = new Map();
  for (const visit of sent) {
    const at = Date.parse(visit.payload.device_time);
    if (!(latestSent.get(visit.household_id) >= at)) latestSent.set(visit.household_id, at);
  }
  return { unsent: new Set(unsent.map((v) => v.household_id)), latestSent };
}

function localStatus(household, index) {
  const sentAt = index.latestSent.get(household.id);
  // Sent back for a revisit stays so until this phone sends a visit newer than the one sent back.
  const revisit = household.verification_status === 'revisit' || household.last_visit?.review_status === 'revisit';
  const revisitedAfter = sentAt !== undefined && (!household.last_visit || sentAt > Date.parse(household.last_visit.device_time));
  if (revisit && !revisitedAfter) return 'revisit';
  if (index.unsent.has(household.id)) return 'visited';
  if (sentAt !== undefined || household.last_visit || ['visited', 'approved', 'rejected'].includes(household.verification_status)) return 'sent';
  return 'todo';
}

async function renderList() {
  const all = await db.households.toArray();
  const kelurahan = [...new Map(all.map((h) => [h.region_code, h.kelurahan_name || h.region_code])).entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const rts = [...new Set(all.filter((h) => !listState.kel || h.region_code === listState.kel).map((h) => h.rt))].sort();
  const index = await visitIndex();
  const statuses = new Map(all.map((h) => [h.id, localStatus(h, index)]));
  const q = listState.q.trim().toLowerCase();
  let rows = all.filter((h) => (!listState.kel || h.region_code === listState.kel)
    && (!listState.rt || h.rt === listState.rt)
    && (!listState.status || statuses.get(h.id) === listState.status)
    && (!q || h.head_name?.toLowerCase().includes(q) || h.kk_number?.includes(q)
      || (h.members || []).some((m) => m.name?.toLowerCase().includes(q) || (m.nik && m.nik.includes(q)))));
  const pos = listState.position;
  if (listState.sort === 'distance' && pos) {
    rows = rows.map((h) => ({ h, d: h.location ? distanceKm(pos, h.location) : Infinity })).sort((a, b) => a.d - b.d).map((x) => x.h);
  } else {
    rows.sort((a, b) => (a.head_name || '').localeCompare(b.head_name || ''));
  }
  // A redraw (a sync finished, a filter changed) must not eat what the enumerator is typing: the focused
  // search box is kept, with its text and caret, instead of being replaced by a fresh one.
  const typing = document.activeElement?.id === 'q' ? document.activeElement : null;
  const caret = typing ? [typing.selectionStart, typing.selectionEnd] : null;
  const opt = (value, label, selected) => `<option value="${esc(value)}" ${selected === value ? 'selected' : ''}>${esc(label)}</option>`;
  app().innerHTML = `
    <nav class="tabs"><a class="active" href="#/list">${t('households')}</a><a href="#/outbox">${t('outbox')}</a><a href="#/propose">${t('propose')}</a></nav>
    <div class="filters">
      <input id="q" type="search" placeholder="${t('search')}" value="${esc(listState.q)}" data-testid="search">
      <div class="row">
        <select id="kel" data-testid="filter-kelurahan">${opt('', t('all_kelurahan'), listState.kel)}${kelurahan.map(([code, name]) => opt(code, name, listState.kel)).join('')}</select>
        <select id="rt" data-testid="filter-rt">${opt('', t('all_rt'), listState.rt)}${rts.map((rt) => opt(rt, `${t('rt')} ${rt}`, listState.rt)).join('')}</select>
      </div>
      <div class="row">
        <select id="st" data-testid="filter-status">${opt('', t('status_all'), listState.status)}${['todo', 'visited', 'sent', 'revisit'].map((s) => opt(s, t(`status_${s}`), listState.status)).join('')}</select>
        <select id="sort" data-testid="sort">${opt('name', t('sort_name'), listState.sort)}${opt('distance', t('sort_distance'), listState.sort)}</select>
      </div>
    </div>
    <p class="muted" data-testid="household-count">${t('count_households', { n: rows.length })}</p>
    ${all.length ? '' : `<p class="muted">${t('no_households')}</p>`}
    <ul class="list" data-testid="household-list">${rows.slice(0, 300).map((h) => {
      const st = statuses.get(h.id);
      const dist = pos && h.location ? distanceKm(pos, h.location) : null;
      return `<li><a href="#/hh/${h.id}" data-testid="household-item" data-id="${h.id}">
        <strong>${esc(h.head_name)}</strong><span class="badge ${st}">${t(`status_${st}`)}</span>
        <small>${esc(h.address)} · ${t('rt')} ${esc(h.rt)}/${esc(h.rw)} · ${esc(h.kelurahan_name || h.region_code)}${dist != null ? ` · ${dist < 1 ? t('m', { d: Math.round(dist * 1000) }) : t('km', { d: dist.toFixed(1) })}` : ''}</small></a></li>`;
    }).join('')}</ul>`;
  const rerender = () => route();
  if (typing) {
    document.getElementById('q').replaceWith(typing);
    typing.focus();
    typing.setSelectionRange(...caret);
  }
  const q$ = document.getElementById('q');
  q$.oninput = () => {
    listState.q = q$.value;
    clearTimeout(q$._t);
    q$._t = setTimeout(async () => {
      if (document.getElementById('q') !== q$) return; // the user has left the list meanwhile
      await rerender();
      const again = document.getElementById('q');
      if (again) { again.focus(); again.setSelectionRange(again.value.length, again.value.length); }
    }, 250);
  };
  cleanup.push(() => clearTimeout(q$._t));
  document.getElementById('kel').onchange = (e) => { listState.kel = e.target.value; listState.rt = ''; rerender(); };
  document.getElementById('rt').onchange = (e) => { listState.rt = e.target.value; rerender(); };
  document.getElementById('st').onchange = (e) => { listState.status = e.target.value; rerender(); };
  document.getElementById('sort').onchange = (e) => {
    listState.sort = e.target.value;
    if (listState.sort === 'distance' && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition((p) => { listState.position = { lat: p.coords.latitude, lon: p.coords.longitude }; rerender(); }, () => rerender(), { timeout: 20000 });
    } else rerender();
  };
}

// ---------- household detail ----------
async function renderDetail(id) {
  const h = await db.households.get(id);
  if (!h) { go('#/list'); return; }
  const reference = (await getMeta('reference')) || {};
  const programs = new Map((reference.programs || []).map((p) => [p.code, p.name]));
  const rel = new Map((reference.relationships || []).map((r) => [String(r.code), r]));
  const draft = await db.drafts.get(id);
  const sent = await db.sent.where('household_id').equals(id).toArray();
  const lv = h.last_visit;
  app().innerHTML = `
    <nav class="tabs"><a href="#/list">← ${t('back')}</a></nav>
    <section class="card" data-testid="household-detail">
      <h1>${esc(h.head_name)}</h1>
      <p>${t('kk')}: ${esc(h.kk_number || '–')} · ${t('decile')}: ${esc(h.decile ?? '–')}</p>
      <h2>${t('address')}</h2><p>${esc(h.address)}, ${t('rt')} ${esc(h.rt)}/${t('rw')} ${esc(h.rw)}, ${esc(h.kelurahan_name || h.region_code)}</p>
      <p>${t('location')}: ${h.location ? `${h.location.lat.toFixed(5)}, ${h.location.lon.toFixed(5)}` : t('no_location')}</p>
      <h2>${t('members')}</h2>
      <ul class="plain">${(h.members || []).map((m) => `<li>${esc(m.name)} · ${t('nik')} ${esc(m.nik || '–')} · ${esc(refLabel(rel.get(String(m.relationship_code))) || m.relationship_code)} · ${m.sex ? t(`sex_${m.sex}`) : ''} ${esc(m.birth_date || '')}</li>`).join('') || `<li>${t('none')}</li>`}</ul>
      <h2>${t('aid_on_record')}</h2>
      <ul class="plain">${(h.aid || []).map((a) => `<li>${esc(programs.get(a.program_code) || a.program_code)} · ${esc(a.period_start || '')}–${esc(a.period_end || '')} · ${esc(a.status || '')}</li>`).join('') || `<li>${t('none')}</li>`}</ul>
      <h2>${t('previous_visits')}</h2>
      <ul class="plain">${lv ? `<li>${esc(new Date(lv.device_time).toLocaleString())} · ${t(`outcome_${lv.outcome}`)} · ${esc(lv.review_status || '')}</li>` : ''}
        ${sent.map((v) => `<li>${esc(new Date(v.payload.device_time).toLocaleString())} · ${t(`outcome_${v.payload.outcome}`)} · ${t('status_sent')}</li>`).join('')}
        ${!lv && !sent.length ? `<li>${t('none')}</li>` : ''}</ul>
      ${lv?.review_comment ? `<h2>${t('reviewer_notes')}</h2><p class="warn" data-testid="review-comment">${esc(lv.review_comment)}</p>` : ''}
      <button class="primary" id="start" data-testid="start-visit">${draft ? t('continue_draft') : t('start_visit')}</button>
      ${sent.length && !draft ? `<button id="correct" data-testid="correct-visit">${t('correct_visit')}</button>` : ''}
      ${draft ? `<button id="discard" data-testid="discard-draft">${t('discard_draft')}</button>` : ''}
    </section>`;
  document.getElementById('start').onclick = () => go(`#/visit/${id}`);
  document.getElementById('discard')?.addEventListener('click', async () => {
    if (!window.confirm(t('discard_confirm'))) return;
    await db.transaction('rw', db.drafts, db.photos, async () => {
      await db.photos.where('visit_id').equals(draft.visit_id).delete();
      await db.drafts.delete(id);
    });
    route();
  });
  const correct = document.getElementById('correct');
  if (correct) {
    correct.onclick = async () => {
      const last = sent.sort((a, b) => a.sent_at.localeCompare(b.sent_at)).at(-1);
      // A correction is made against the household as the phone knows it now.
      await db.drafts.put(draftFromPayload(last.payload, { supersedes_id: last.id, base_version: h.version ?? null }, h));
      go(`#/visit/${id}`);
    };
  }
}

// ---------- visit form ----------
/** A new draft (new visit UUID) from a visit already made: for a correction or to fix a refused visit.
 * Members get their names back from the household; the original GPS fix is kept (the enumerator may no
 * longer be at the door), so the form does not watch the position again. */
function draftFromPayload(payload, extra = {}, household = null) {
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

async function loadDraft(householdId, household) {
  let draft = await db.drafts.get(householdId);
  if (!draft) {
    draft = {
      household_id: householdId, visit_id: uuid(), updated_at: Date.now(), base_version: household?.version ?? null,
      new_household: null, supersedes_id: null,
      form: {
        outcome: '', consent: false, notes: '', house_condition: {}, aid_reported: [], no_fix_reason: '',
        members: (household?.members || []).map((m) => ({ member_id: m.id, presence: 'present', name: m.name })),
      },
    };
    await db.drafts.put(draft);
  }
  return draft;
}

async function renderVisit(householdId) {
  const household = await db.households.get(householdId);
  const draft = await loadDraft(householdId, household);
  const reference = (await getMeta('reference')) || {};
  const outcomes = reference.outcomes?.length ? reference.outcomes : OUTCOMES.map((code) => ({ code }));
  const programs = reference.programs || [];
  const hc = reference.house_condition || {};
  const f = draft.form;
  const label = (prefix, item) => (item.label_id ? refLabel(item) : t(`${prefix}_${item.code}`));
  const photos = await db.photos.where('visit_id').equals(draft.visit_id).toArray();
  const title = draft.new_household ? `${t('proposed')}: ${draft.new_household.head_name}` : household?.head_name;
  app().innerHTML = `
    <nav class="tabs"><a href="${household ? `#/hh/${householdId}` : '#/list'}">← ${t('back')}</a></nav>
    <form id="visit" class="card" data-testid="visit-form" novalidate>
      <h1>${t('visit_form')}</h1><p><strong>${esc(title)}</strong>${draft.supersedes_id ? ` · ${t('correction')}` : ''}</p>
      <label>${t('outcome')}<select name="outcome" data-testid="outcome"><option value="">${t('choose')}</option>
        ${outcomes.map((o) => `<option value="${o.code}" ${f.outcome === o.code ? 'selected' : ''}>${esc(label('outcome', o))}</option>`).join('')}</select></label>
      <label class="check"><input type="checkbox" name="consent" data-testid="consent" ${f.consent ? 'checked' : ''}> ${t('consent')}</label>
      <fieldset><legend>${t('members')}</legend>
        ${f.members.map((m, i) => m.presence === 'new' || !m.member_id ? `
          <div class="member new" data-index="${i}"><strong>${t('new_member')}</strong>
            <input data-m="${i}" data-k="name" placeholder="${t('name')}" value="${esc(m.name || '')}" data-testid="new-member-name">
            <input data-m="${i}" data-k="nik" placeholder="${t('nik')}" inputmode="numeric" maxlength="16" value="${esc(m.nik || '')}" data-testid="new-member-nik">
            <div class="row"><select data-m="${i}" data-k="sex"><option value="">${t('sex')}</option><option value="1" ${m.sex === 1 ? 'selected' : ''}>${t('sex_1')}</option><option value="2" ${m.sex === 2 ? 'selected' : ''}>${t('sex_2')}</option></select>
            <input data-m="${i}" data-k="birth_date" type="date" value="${esc(m.birth_date || '')}"></div>
            <select data-m="${i}" data-k="relationship_code"><option value="">${t('relationship')}</option>${(reference.relationships || [1, 2, 3, 4, 5, 6, 7, 8].map((code) => ({ code, label_id: String(code) }))).map((r) => `<option value="${r.code}" ${String(m.relationship_code) === String(r.code) ? 'selected' : ''}>${esc(refLabel(r))}</option>`).join('')}</select>
            <button type="button" class="small" data-remove="${i}">${t('remove')}</button></div>` : `
          <div class="member" data-index="${i}"><span>${esc(m.name)}</span>
            <select data-m="${i}" data-k="presence" data-testid="presence">${PRESENCE.map((p) => `<option value="${p}" ${m.presence === p ? 'selected' : ''}>${t(`presence_${p}`)}</option>`).join('')}</select></div>`).join('')}
        <button type="button" id="add-member" data-testid="add-member">+ ${t('add_member')}</button>
      </fieldset>
      <fieldset><legend>${t('house_condition')}</legend>
        <label>${t('hc_floor_area')}<input name="hc_floor_area" type="number" inputmode="decimal" min="0" value="${esc(f.house_condition.floor_area ?? '')}"></label>
        ${HOUSE_FIELDS.filter((k) => hc[k]?.length).map((k) => `<label>${t(`hc_${k}`)}<select name="hc_${k}"><option value="">${t('choose')}</option>${hc[k].map((o) => `<option value="${esc(o.code)}" ${String(f.house_condition[k]) === String(o.code) ? 'selected' : ''}>${esc(refLabel(o))}</option>`).join('')}</select></label>`).join('')}
        ${Object.keys(hc).filter((k) => !HOUSE_FIELDS.includes(k) && k !== 'floor_area').map((k) => `<label>${esc(k)}<select name="hc_${k}"><option value="">${t('choose')}</option>${hc[k].map((o) => `<option value="${esc(o.code)}" ${String(f.house_condition[k]) === String(o.code) ? 'selected' : ''}>${esc(refLabel(o))}</option>`).join('')}</select></label>`).join('')}
      </fieldset>
      <fieldset><legend>${t('aid_received')}</legend>
        ${programs.map((p) => `<label class="check"><input type="checkbox" name="aid" value="${esc(p.code)}" ${f.aid_reported.includes(p.code) ? 'checked' : ''}> ${esc(p.name || p.code)}</label>`).join('') || `<p class="muted">${t('none')}</p>`}
      </fieldset>
      <label>${t('notes')}<textarea name="notes" rows="3" data-testid="notes">${esc(f.notes)}</textarea></label>
      <fieldset><legend>${t('gps')}</legend>
        <p id="gps" data-testid="gps-status">${t('gps_waiting')}</p>
        <label>${t('no_fix_reason')}<input name="no_fix_reason" value="${esc(f.no_fix_reason || '')}"></label>
      </fieldset>
      <fieldset><legend>${t('photos')}</legend>
        ${PHOTO_KINDS.map((kind) => {
          const have = photos.filter((p) => p.kind === kind);
          return `<div class="photo-kind"><strong>${t(`kind_${kind}`)}</strong> ${have.length ? `<span class="ok" data-testid="photo-ok-${kind}">✓ ${have.length}</span>` : ''}
            ${have.length ? `<ul class="thumbs" data-testid="photo-list">${have.map((p) => `<li><img alt="${t(`kind_${p.kind}`)}" data-thumb="${p.id}">
              <button type="button" class="small" data-remove-photo="${p.id}" data-testid="remove-photo">${t('remove')}</button></li>`).join('')}</ul>` : ''}
            <label class="take">${t('take_photo')}<input type="file" accept="image/*" capture="environment" data-kind="${kind}" data-testid="photo-${kind}"></label></div>`;
        }).join('')}
        <p id="photo-msg" class="muted" data-testid="photo-msg"></p>
      </fieldset>
      <p id="draft-msg" class="muted" data-testid="draft-msg"></p>
      <p id="form-error" class="err" data-testid="form-error"></p>
      <button type="submit" class="primary" data-testid="save-send">${t('save_send')}</button>
    </form>`;

  const form = document.getElementById('visit');
  // Thumbnails from the stored bytes; their object URLs are released when the screen goes.
  for (const img of form.querySelectorAll('[data-thumb]')) {
    const photo = photos.find((p) => p.id === img.dataset.thumb);
    const url = URL.createObjectURL(new Blob([photo.data], { type: photo.type }));
    img.src = url;
    cleanup.push(() => URL.revokeObjectURL(url));
  }
  form.querySelectorAll('[data-remove-photo]').forEach((button) => {
    button.onclick = async () => { await db.photos.delete(button.dataset.removePhoto); await save(); route(); };
  });
  let fix = draft.gps || null;
  let latest = null;
  const gpsEl = document.getElementById('gps');
  const showFix = (error) => {
    if (fix) {
      const now = latest && latest !== fix ? ` · ${t('gps_now', { m: Math.round(latest.accuracy_m) })}` : '';
      gpsEl.innerHTML = `${t('gps_accuracy', { m: Math.round(fix.accuracy_m) })} (${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)})${now}${fix.accuracy_m > POOR_ACCURACY_M ? ` <span class="warn" data-testid="gps-poor">${t('gps_poor')}</span>` : ''}`;
    } else gpsEl.textContent = error === 'denied' ? t('gps_denied') : error ? t('gps_none') : t('gps_waiting');
  };
  showFix();
  if (!draft.keep_gps) {
    cleanup.push(watchBestFix(({ best, latest: reading, error }) => {
      if (reading) latest = reading;
      if (best && (!fix || best.accuracy_m <= fix.accuracy_m)) { fix = best; draft.gps = fix; save(); }
      showFix(error);
    }));
  }

  async function save() {
    draft.updated_at = Date.now();
    await db.drafts.put(draft);
    const msg = document.getElementById('draft-msg');
    if (msg) msg.textContent = `${t('draft_saved')} ${new Date().toLocaleTimeString()}`;
  }
  form.addEventListener('input', (event) => {
    const el = event.target;
    if (el.type === 'file') return;
    if (el.dataset.m !== undefined) {
      const member = f.members[Number(el.dataset.m)];
      member[el.dataset.k] = el.dataset.k === 'sex' || el.dataset.k === 'relationship_code' ? (el.value ? Number(el.value) : null) : el.value;
    } else if (el.name === 'consent') f.consent = el.checked;
    else if (el.name === 'aid') f.aid_reported = [...form.querySelectorAll('input[name=aid]:checked')].map((x) => x.value);
    else if (el.name?.startsWith('hc_')) {
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
    for (const file of el.files) {
      const photo = await preparePhoto(file);
      await db.photos.put({ id: uuid(), visit_id: draft.visit_id, kind: el.dataset.kind, state: 'draft', ...photo, taken_at: new Date().toISOString() });
      msg.textContent = `${t('photo_saved')}: ${photo.width}×${photo.height}, ${Math.round(photo.size / 1024)} KB`;
    }
    await save();
    // Redraw with the new thumbnail where the enumerator was (everything typed is in the draft already).
    const y = window.scrollY;
    await route();
    window.scrollTo(0, y);
  });
  form.querySelector('#add-member').onclick = async () => { f.members.push({ member_id: null, presence: 'new', name: '' }); await save(); renderVisit(householdId); };
  form.querySelectorAll('[data-remove]').forEach((b) => { b.onclick = async () => { f.members.splice(Number(b.dataset.remove), 1); await save(); renderVisit(householdId); }; });
  form.onsubmit = async (event) => {
    event.preventDefault();
    const error = document.getElementById('form-error');
    if (!f.outcome) { error.textContent = `${t('outcome')}: ${t('required')}`; return; }
    const visitPhotos = await db.photos.where('visit_id').equals(draft.visit_id).toArray();
    const payload = {
      id: draft.visit_id, household_id: householdId, base_version: draft.base_version ?? null,
      new_household: draft.new_household || null, supersedes_id: draft.supersedes_id || null,
      device_time: localIsoTime(new Date()),
      gps: fix ? { lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy_m, fixed_at: fix.fixed_at } : { no_fix: true, reason: f.no_fix_reason || 'no GPS fix' },
      outcome: f.outcome, consent: !!f.consent,
      members: f.members.map((m) => (m.presence === 'new' || !m.member_id
        ? { member_id: null, presence: 'new', name: m.name, nik: m.nik || undefined, sex: m.sex || undefined, birth_date: m.birth_date || undefined, relationship_code: m.relationship_code || undefined }
        : { member_id: m.member_id, presence: m.presence })),
      house_condition: f.house_condition, aid_reported: f.aid_reported, notes: f.notes || '',
      photos: visitPhotos.map((p) => ({ id: p.id, kind: p.kind, sha256: p.sha256 })),
    };
    await db.transaction('rw', db.outbox, db.photos, db.drafts, async () => {
      await db.outbox.put({ id: payload.id, household_id: householdId, payload, state: 'pending', attempts: 0, created_at: new Date().toISOString(), label: title });
      await db.photos.where('visit_id').equals(draft.visit_id).modify({ state: 'held' });
      await db.drafts.delete(householdId);
    });
    go('#/outbox');
    renderStatus();
    sync({ force: true });
  };
}

function localIsoTime(date) {
  const offset = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${offset >= 0 ? '+' : '-'}${pad(offset / 60)}:${pad(offset % 60)}`;
}

// ---------- outbox ----------
async function renderOutbox() {
  const visits = await db.outbox.orderBy('created_at').toArray();
  const photos = await db.photos.where('state').anyOf('held', 'pending', 'uploading', 'refused').toArray();
  const drafts = await db.drafts.toArray();
  const names = new Map((await db.households.bulkGet(drafts.map((d) => d.household_id))).filter(Boolean).map((h) => [h.id, h.head_name]));
  app().innerHTML = `
    <nav class="tabs"><a href="#/list">${t('households')}</a><a class="active" href="#/outbox">${t('outbox')}</a><a href="#/propose">${t('propose')}</a></nav>
    ${!visits.length && !photos.length ? `<p class="muted" data-testid="outbox-empty">${t('outbox_empty')}</p>` : ''}
    <ul class="list" data-testid="outbox">
      ${visits.map((v) => `<li class="outbox-item ${v.state}" data-testid="outbox-visit" data-id="${v.id}" data-state="${v.state}">
        <strong>${t('visit')}: ${esc(v.label || v.household_id)}</strong> <span class="badge">${t(`state_${v.state}`)}</span>
        <small>${t('outcome')}: ${t(`outcome_${v.payload.outcome}`)} · ${t('attempts')}: ${v.attempts || 0}</small>
        ${v.last_error ? `<pre class="err" data-testid="outbox-error">${esc(v.last_error === 'network' ? t('error_network') : v.last_error)}</pre>` : ''}
        ${v.state === 'refused' ? `<button data-fix="${v.id}" data-testid="fix-resend">${t('fix_resend')}</button>` : ''}</li>`).join('')}
      ${photos.map((p) => `<li class="outbox-item ${p.state}" data-testid="outbox-photo" data-id="${p.id}" data-state="${p.state}">${t('photo')}: ${t(`kind_${p.kind}`)} · ${Math.round(p.size / 1024)} KB <span class="badge">${t(`state_${p.state}`)}</span>
        ${p.last_error ? `<pre class="err" data-testid="outbox-error">${esc(p.last_error)}</pre>` : ''}
        ${p.state === 'refused' ? `<button data-retry-photo="${p.id}" data-testid="retry-photo">${t('retry')}</button>` : ''}</li>`).join('')}
    </ul>
    ${drafts.length ? `<h2>${t('drafts')}</h2><ul class="list" data-testid="drafts">${drafts.map((d) => `<li><a href="#/visit/${d.household_id}" data-testid="draft-item">
      <strong>${esc(d.new_household ? `${t('proposed')}: ${d.new_household.head_name}` : names.get(d.household_id) || d.household_id)}</strong>
      <small>${t('draft_saved')} ${esc(new Date(d.updated_at).toLocaleString(getLang() === 'en' ? 'en-GB' : 'id-ID'))}</small></a></li>`).join('')}</ul>` : ''}`;
  app().querySelectorAll('[data-retry-photo]').forEach((button) => {
    button.onclick = async () => { await retryPhoto(button.dataset.retryPhoto); renderStatus(); route(); };
  });
  app().querySelectorAll('[data-fix]').forEach((button) => {
    button.onclick = async () => {
      const item = await db.outbox.get(button.dataset.fix);
      // The refused visit was not stored, so the fix goes out as a new visit UUID; its photos (never
      // uploaded: they wait for an accepted visit) move over to it.
      const draft = draftFromPayload(item.payload, {}, await db.households.get(item.household_id));
      await db.transaction('rw', db.outbox, db.photos, db.drafts, async () => {
        await db.photos.where('visit_id').equals(item.id).modify({ visit_id: draft.visit_id, state: 'draft' });
        await db.drafts.put(draft);
        await db.outbox.delete(item.id);
      });
      renderStatus();
      go(`#/visit/${item.household_id}`);
    };
  });
}

// ---------- propose a new household ----------
async function renderPropose() {
  const kelurahan = [...new Map((await db.households.toArray()).map((h) => [h.region_code, h.kelurahan_name || h.region_code])).entries()];
  app().innerHTML = `
    <nav class="tabs"><a href="#/list">${t('households')}</a><a href="#/outbox">${t('outbox')}</a><a class="active" href="#/propose">${t('propose')}</a></nav>
    <form id="propose" class="card" data-testid="propose-form">
      <h1>${t('propose_title')}</h1>
      <label>${t('head')}<input name="head_name" required data-testid="propose-head"></label>
      <label>${t('kk')}<input name="kk_number" inputmode="numeric" maxlength="16"></label>
      <label>${t('address')}<input name="address" required></label>
      <div class="row"><label>${t('rt')}<input name="rt" inputmode="numeric" maxlength="3" required></label><label>${t('rw')}<input name="rw" inputmode="numeric" maxlength="3" required></label></div>
      <label>${t('region_code')}<select name="region_code" required>${kelurahan.map(([code, name]) => `<option value="${esc(code)}">${esc(name)}</option>`).join('')}</select></label>
      <p class="err" id="propose-error"></p>
      <button type="submit" class="primary">${t('start_visit')}</button>
    </form>`;
  document.getElementById('propose').onsubmit = async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    if (!data.head_name || !data.address || !data.rt || !data.rw || !data.region_code) {
      document.getElementById('propose-error').textContent = t('required'); return;
    }
    const id = uuid();
    const nh = { id, head_name: data.head_name, address: data.address, rt: data.rt.padStart(3, '0'), rw: data.rw.padStart(3, '0'), region_code: data.region_code };
    if (data.kk_number) nh.kk_number = data.kk_number;
    await db.drafts.put({
      household_id: id, visit_id: uuid(), updated_at: Date.now(), base_version: null, new_household: nh, supersedes_id: null,
      form: { outcome: 'found', consent: false, notes: '', house_condition: {}, aid_reported: [], no_fix_reason: '', members: [] },
    });
    go(`#/visit/${id}`);
  };
}

