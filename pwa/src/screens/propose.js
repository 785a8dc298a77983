// Propose a household the registry does not have: head, address, RT/RW, kelurahan; then the visit form.
import { html, render } from '../lib/html.js';
import { t } from '../i18n.js';
import { uuid } from '../store/db.js';
import * as drafts from '../store/drafts.js';
import * as store from '../store/households.js';
import { app, tabs } from './common.js';

export async function renderPropose({ router }) {
  const kelurahan = [...new Map((await store.all()).map((h) => [h.region_code, h.kelurahan_name || h.region_code])).entries()];
  render(app(), html`
    ${tabs('propose')}
    <form id="propose" class="card" data-testid="propose-form" aria-labelledby="propose-title">
      <h1 id="propose-title">${t('propose_title')}</h1>
      <label>${t('head')}<input name="head_name" required data-testid="propose-head"></label>
      <label>${t('kk')}<input name="kk_number" inputmode="numeric" maxlength="16"></label>
      <label>${t('address')}<input name="address" required></label>
      <div class="row"><label>${t('rt')}<input name="rt" inputmode="numeric" maxlength="3" required></label><label>${t('rw')}<input name="rw" inputmode="numeric" maxlength="3" required></label></div>
      <label>${t('kelurahan')}<select name="region_code" required>${kelurahan.map(([code, name]) => html`<option value="${code}">${name}</option>`)}</select></label>
      <p class="err" id="propose-error" role="alert"></p>
      <button type="submit" class="primary">${t('start_visit')}</button>
    </form>`);
  document.getElementById('propose').onsubmit = async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    if (!data.head_name || !data.address || !data.rt || !data.rw || !data.region_code) {
      document.getElementById('propose-error').textContent = t('required'); return;
    }
    const id = uuid();
    const nh = { id, head_name: data.head_name, address: data.address, rt: data.rt.padStart(3, '0'), rw: data.rw.padStart(3, '0'), region_code: data.region_code };
    if (data.kk_number) nh.kk_number = data.kk_number;
    await drafts.propose(nh);
    router.go(`#/visit/${id}`);
  };
}
