// Escaping by default. `html` is a tagged template: every interpolated value is escaped unless it is
// itself an `html` result or wrapped in `raw()` (for markup the app built itself, never for data).
// Arrays are joined, null / undefined / false render as nothing (so "undefined" never reaches a screen).
// `render` is the one place that writes markup into the page. App-independent: the staff pages' islands
// can use it as it is.

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text → HTML-safe text (for element content and quoted attribute values). */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** Markup that is already safe (the result of `html`, or a string the app itself wrote). */
export class SafeHtml {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

/** Marks a string as markup: only for strings the app wrote, never for data from a user or the server. */
export function raw(text) { return new SafeHtml(String(text)); }

function piece(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(value);
}

/** html`<p>${name}</p>`: a SafeHtml with every value escaped. */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Replaces an element's content with a SafeHtml (the only markup sink in the apps). */
export function render(element, template) {
  if (!(template instanceof SafeHtml)) throw new TypeError('render() takes the result of html``');
  // eslint-disable-next-line no-unsanitized/property -- SafeHtml only comes from html`` (escaped) or raw()
  element.innerHTML = template.text;
  return element;
}

/** Appends a SafeHtml at the end of an element (for lists drawn page by page). */
export function append(element, template) {
  if (!(template instanceof SafeHtml)) throw new TypeError('append() takes the result of html``');
  // eslint-disable-next-line no-unsanitized/method -- SafeHtml only comes from html`` (escaped) or raw()
  element.insertAdjacentHTML('beforeend', template.text);
  return element;
}
