// Household list: search (name, NIK, No. KK), filters (kelurahan, RT, status), sort by name or distance,
// drawn a page at a time (the next page loads when the end of the list comes into view), with the count
// shown vs assigned. The filters are drawn once; typing or changing a filter redraws only the results.
import { formatDistance, formatNumber } from '../lib/format.js';
import { append, html, render } from '../lib/html.js';
import { t } from '../i18n.js';
import { distanceKm } from '../media.js';
import * as store from '../store/households.js';
import { state as syncState } from '../sync.js';
import { app, tabs } from './common.js';

export const PAGE = 40;
const listState = { q: '', kel: '', rt: '', status: '', sort: 'name', position: null };

/** Everything the list needs, read once per data change (not per keystroke). */
async function load(some = null) {
  const all = some || await store.all();
  const index = await store.visitIndex();
  for (const h of all) {
    h._status = store.localStatus(h, index);
    h._search = [h.head_name, h.kk_number, ...(h.members || []).flatMap((m) => [m.name, m.nik])].filter(Boolean).join(' ').toLowerCase();
  }
  // Sorted by name once per data change; filtering keeps the order, so a keystroke never sorts.
  const collator = new Intl.Collator('id');
  return all.sort((a, b) => collator.compare(a.head_name || '', b.head_name || ''));
}

function filtered(all) {
  const q = listState.q.trim().toLowerCase();
  let rows = all.filter((h) => (!listState.kel || h.region_code === listState.kel)
    && (!listState.rt || h.rt === listState.rt)
    && (!listState.status || h._status === listState.status)
    && (!q || h._search.includes(q)));
  const pos = listState.position;
  if (listState.sort === 'distance' && pos) {
    rows = rows.map((h) => ({ h, d: h.location ? distanceKm(pos, h.location) : Infinity })).sort((a, b) => a.d - b.d).map((x) => x.h);
  }
  return rows;
}

function item(h) {
  const pos = listState.position;
  const dist = pos && h.location ? formatDistance(distanceKm(pos, h.location)) : '';
  return html`<li><a href="#/hh/${h.id}" data-testid="household-item" data-id="${h.id}">
    <span class="line"><strong>${h.head_name}</strong><span class="badge ${h._status}">${t(`status_${h._status}`)}</span></span>
    <small>${h.address} · ${t('rt')} ${h.rt}/${h.rw} · ${h.kelurahan_name || h.region_code}${dist ? ` · ${dist}` : ''}</small></a></li>`;
}

const option = (value, label, selected) => html`<option value="${value}" ${selected === value ? html`selected` : ''}>${label}</option>`;

function filterOptions(all) {
  const kelurahan = [...new Map(all.map((h) => [h.region_code, h.kelurahan_name || h.region_code])).entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const rts = [...new Set(all.filter((h) => !listState.kel || h.region_code === listState.kel).map((h) => h.rt))].sort();
  return { kelurahan, rts };
}

function kelurahanOptions(kelurahan) {
  return html`${option('', t('all_kelurahan'), listState.kel)}${kelurahan.map(([code, name]) => option(code, name, listState.kel))}`;
}

function rtOptions(rts) {
  return html`${option('', t('all_rt'), listState.rt)}${rts.map((rt) => option(rt, `${t('rt')} ${rt}`, listState.rt))}`;
}

export async function renderList({ router }) {
  // Unfiltered and by name (how the app opens): the first page comes straight from the name index, so the
  // list shows before all households are read; the rest (filters, search, count) follows a moment later.
  const quick = !listState.q && !listState.kel && !listState.rt && !listState.status && listState.sort === 'name';
  let all = quick ? await load(await store.firstByName(PAGE)) : await load();
  let total = quick ? await store.count() : all.length;
  const { kelurahan, rts } = filterOptions(all);
  render(app(), html`
    ${tabs('list')}
    <h1 class="sr-only">${t('households')}</h1>
    <div class="filters" role="search">
      <input id="q" type="search" placeholder="${t('search')}" aria-label="${t('search')}" value="${listState.q}" data-testid="search">
      <div class="row">
        <select id="kel" data-testid="filter-kelurahan" aria-label="${t('kelurahan')}">${kelurahanOptions(kelurahan)}</select>
        <select id="rt" data-testid="filter-rt" aria-label="${t('rt')}">${rtOptions(rts)}</select>
      </div>
      <div class="row">
        <select id="st" data-testid="filter-status" aria-label="${t('status')}">${option('', t('status_all'), listState.status)}${['todo', 'visited', 'sent', 'revisit'].map((s) => option(s, t(`status_${s}`), listState.status))}</select>
        <select id="sort" data-testid="sort" aria-label="${t('sort')}">${option('name', t('sort_name'), listState.sort)}${option('distance', t('sort_distance'), listState.sort)}</select>
      </div>
    </div>
    <div id="results"></div>`);

  let rows = [];
  let shown = 0;
  let observer = null;
  const results = document.getElementById('results');

  function more() {
    const list = document.getElementById('household-list');
    if (!list || shown >= rows.length) return;
    const next = rows.slice(shown, shown + PAGE);
    append(list, html`${next.map(item)}`);
    shown += next.length;
    updateCount();
  }

  function updateCount() {
    const count = document.getElementById('household-count');
    const n = quick && all.length < total ? total : rows.length;
    if (count) count.textContent = t('count_shown', { shown: formatNumber(shown), n: formatNumber(n), total: formatNumber(total) });
    const button = document.getElementById('more');
    if (button) button.hidden = shown >= rows.length;
  }

  function draw() {
    rows = filtered(all);
    shown = 0;
    const empty = !total ? (syncState.running ? t('downloading_households') : t('no_households')) : !rows.length ? t('no_match') : '';
    render(results, html`
      <p class="muted" id="household-count" data-testid="household-count" aria-live="polite"></p>
      ${empty ? html`<p class="muted" data-testid="list-empty">${empty}</p>` : ''}
      <ul class="list" data-testid="household-list" id="household-list"></ul>
      <button type="button" id="more" data-testid="more" hidden>${t('show_more', { n: PAGE })}</button>`);
    more();
    updateCount();
    // For bench/pwa_list.py (and any field profiling): when the list showed its rows.
    performance.mark('verval:list-drawn');
    observer?.disconnect();
    const button = document.getElementById('more');
    button.onclick = more;
    // The next page comes when the end of the list is near (a cheap phone never draws 1,000 rows at once).
    // Observing again after each page gives a fresh report, so a button still in view loads the next one too.
    observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting) || shown >= rows.length) return;
      more();
      observer.unobserve(button);
      observer.observe(button);
    }, { rootMargin: '400px' });
    observer.observe(button);
  }

  draw();
  let left = false;
  router.onLeave(() => { left = true; observer?.disconnect(); });
  // A sync that changed the households redraws the results only: what is being typed stays.
  const reload = async () => {
    all = await load();
    total = all.length;
    if (left) return;
    const options = filterOptions(all);
    render(document.getElementById('kel'), kelurahanOptions(options.kelurahan));
    render(document.getElementById('rt'), rtOptions(options.rts));
    const keep = shown;
    draw();
    while (shown < keep && shown < rows.length) more();
  };
  router.onRefresh(reload);
  if (quick) await reload();

  const q = document.getElementById('q');
  let timer = null;
  q.oninput = () => {
    listState.q = q.value;
    clearTimeout(timer);
    timer = setTimeout(draw, 100);
  };
  router.onLeave(() => clearTimeout(timer));
  document.getElementById('kel').onchange = (e) => { listState.kel = e.target.value; listState.rt = ''; router.route(); };
  document.getElementById('rt').onchange = (e) => { listState.rt = e.target.value; draw(); };
  document.getElementById('st').onchange = (e) => { listState.status = e.target.value; draw(); };
  document.getElementById('sort').onchange = (e) => {
    listState.sort = e.target.value;
    if (listState.sort === 'distance' && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition((p) => { listState.position = { lat: p.coords.latitude, lon: p.coords.longitude }; draw(); }, () => draw(), { timeout: 20000 });
    } else draw();
  };
}
