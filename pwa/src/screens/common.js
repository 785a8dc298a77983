// Pieces every screen uses: the page element, the tab bar, and how an error is shown (the catalogue's
// words first, the server's own message in the current language, technical detail behind a toggle).
import { html } from '../lib/html.js';
import { serverText, t } from '../i18n.js';

export const app = () => document.getElementById('app');

export function tabs(active) {
  const tab = (name, href, label) => html`<a href="${href}" class="${active === name ? 'active' : ''}" ${active === name ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs" aria-label="${t('nav_label')}">${tab('list', '#/list', t('households'))}${tab('outbox', '#/outbox', t('outbox'))}${tab('propose', '#/propose', t('propose'))}</nav>`;
}

export function backLink(href) {
  return html`<nav class="back" aria-label="${t('nav_label')}"><a href="${href}">← ${t('back')}</a></nav>`;
}

/** What the enumerator reads for a stored failure ({code, message, detail} from sync.describe). */
export function errorText(error, { what = 'visit' } = {}) {
  if (!error) return '';
  if (typeof error === 'string') return t('error_unknown');
  const server = error.message ? serverText(error.message) : '';
  switch (error.code) {
    case 'network': return what === 'photo' ? t('error_network_photo') : t('error_network');
    case 'login': return t('login_again');
    case 'server_error': return t('error_server_down');
    case 'photo_refused': return [t('error_photo_refused'), server].filter(Boolean).join(' ');
    case 'push_invalid': return t('error_push_invalid');
    case 'push_conflict': return t('error_push_conflict');
    case 'server': return [t('error_server'), server].filter(Boolean).join(' ');
    default: return t('error_unknown');
  }
}

/** An error line with a "details" toggle for the technical part. */
export function errorBlock(error, { testid = 'outbox-error', what = 'visit', extra = '' } = {}) {
  if (!error) return '';
  const detail = typeof error === 'string' ? error : error.detail;
  return html`<div class="err" data-testid="${testid}"><p>${errorText(error, { what })}</p>${extra}
    ${detail ? html`<details class="tech"><summary>${t('details')}</summary><pre>${detail}</pre></details>` : ''}</div>`;
}
