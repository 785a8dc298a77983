// Numbers, dates and distances for people, through Intl (id-ID: "10,9 km", "5 November 1957").
// App-independent: the locale is passed in or read from a function the app provides.

let currentLocale = () => 'id-ID';
const cache = new Map();

/** The apps tell the formatter which locale to use (their i18n's current language). */
export function useLocale(fn) { currentLocale = fn; }

function formatter(kind, options) {
  const key = `${currentLocale()}|${kind}|${JSON.stringify(options)}`;
  if (!cache.has(key)) {
    cache.set(key, kind === 'number' ? new Intl.NumberFormat(currentLocale(), options) : new Intl.DateTimeFormat(currentLocale(), options));
  }
  return cache.get(key);
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '';
  return formatter('number', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(value));
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  // A plain date ("1957-11-05") is a calendar day, not midnight UTC.
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00`) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "5 Nov 1957" */
export function formatDate(value) {
  const date = toDate(value);
  return date ? formatter('date', { day: 'numeric', month: 'short', year: 'numeric' }).format(date) : '';
}

/** "5 Nov 2026 14.05" */
export function formatDateTime(value) {
  const date = toDate(value);
  return date ? formatter('date', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(date) : '';
}

/** Time only for today, day + month + time otherwise (fits a one-line status bar). */
export function formatShortTime(value) {
  const date = toDate(value);
  if (!date) return '';
  const time = formatter('date', { hour: '2-digit', minute: '2-digit' }).format(date);
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${formatter('date', { day: 'numeric', month: 'short' }).format(date)} ${time}`;
}

/** "850 m" below a kilometre, "10,9 km" above. */
export function formatDistance(km) {
  if (km === null || km === undefined || !Number.isFinite(km)) return '';
  return km < 1 ? `${formatNumber(Math.round(km * 1000))}\u00a0m` : `${formatNumber(km, 1)}\u00a0km`;
}

/** "1,2 MB", "340 KB" */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  return bytes >= 1048576 ? `${formatNumber(bytes / 1048576, 1)} MB` : `${formatNumber(Math.round(bytes / 1024))} KB`;
}

/** An ISO 8601 local time with the device's offset ("2026-11-30T14:05:00+08:00"). */
export function localIsoTime(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${offset >= 0 ? '+' : '-'}${pad(offset / 60)}:${pad(offset % 60)}`;
}
