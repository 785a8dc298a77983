// Unit tests of the app-independent modules (node --test; run by tests/e2e/test_pwa_lib.py in make test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { append, escapeHtml, html, raw, render, SafeHtml } from '../src/lib/html.js';
import { formatBytes, formatDate, formatDistance, formatNumber, localIsoTime, useLocale } from '../src/lib/format.js';

test('html escapes every interpolated value by default', () => {
  const name = '<img src=x onerror=alert(1)> & "quotes" \'single\' `tick`';
  const out = html`<p title="${name}">${name}</p>`;
  assert.ok(out instanceof SafeHtml);
  assert.equal(out.text, `<p title="${escapeHtml(name)}">${escapeHtml(name)}</p>`);
  assert.ok(!out.text.includes('<img'));
  assert.ok(!/"quotes"/.test(out.text));
});

test('nested html and raw() are kept, arrays joined, null/undefined/false render as nothing', () => {
  const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
  assert.equal(html`<ul>${items}</ul>`.text, '<ul><li>a&lt;b</li><li>c</li></ul>');
  assert.equal(html`${raw('<br>')}`.text, '<br>');
  assert.equal(html`[${null}${undefined}${false}]`.text, '[]');
  assert.equal(html`${0}`.text, '0');
});

test('render and append take only html results', () => {
  // A stand-in element that records what reaches the page.
  const element = { markup: '', set innerHTML(text) { this.markup = text; }, insertAdjacentHTML(where, text) { this.markup += text; } };
  render(element, html`<b>${'<i>'}</b>`);
  assert.equal(element.markup, '<b>&lt;i&gt;</b>');
  append(element, html`<i>x</i>`);
  assert.equal(element.markup, '<b>&lt;i&gt;</b><i>x</i>');
  assert.throws(() => render(element, '<b>plain string</b>'), TypeError);
  assert.throws(() => append(element, '<b>plain string</b>'), TypeError);
});

test('Indonesian number, date and distance formats', () => {
  useLocale(() => 'id-ID');
  assert.equal(formatNumber(1224), '1.224');
  assert.equal(formatDistance(10.94).replace('\u00a0', ' '), '10,9 km');
  assert.equal(formatDistance(0.2123).replace('\u00a0', ' '), '212 m');
  assert.equal(formatDate('1957-11-05'), '5 Nov 1957');
  assert.equal(formatBytes(1.5 * 1048576), '1,5 MB');
  assert.equal(formatDate(null), '');
  useLocale(() => 'en-GB');
  assert.equal(formatDistance(10.94).replace('\u00a0', ' '), '10.9 km');
  useLocale(() => 'id-ID');
});

test('local ISO time carries the device offset', () => {
  assert.match(localIsoTime(new Date()), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
});
