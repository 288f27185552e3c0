// The ingestion pages end to end in Debian's Chromium against a real `vigil serve` of its own
// (started by tests/console/console_test.sh with an `ingest:` section: the repository's Sigma
// rules and a syslog-udp source; it sets VIGIL_EVENTS_URL, VIGIL_EVENTS_ADMIN_PASSWORD and
// VIGIL_EVENTS_SYSLOG_PORT). Over the API the administrator signs in the first time, creates an
// analyst and an ingest token, and events go in over HTTP (NDJSON, with Chinese text) and syslog
// UDP (one good message, one malformed). Then, as the analyst: event search (histogram total,
// rows, load more, field filters, a value clicked into a filter, English and Chinese text, a
// server error shown), detections and the events each was raised on, the search in the address
// (a reload, Back, a link opened in a new tab, a malformed link, a link opened signed out and
// followed after the sign-in), the sources page with its counters, malformed samples and
// auto-refresh, the Chinese labels, and the refresh timer stopping on navigation. Then fields,
// times and text as logged: nested JSON under dotted names with exact numbers, a line that is not
// UTF-8, hidden and bidi characters shown by their codes, an implausible own time, a histogram
// bar's exact span, the refresh header, and a viewer without events.read (samples withheld).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { base32Decode, fillSignIn, freshCodes, openPage, screenshotDir, signIn, watchPage } from './lib.mjs';

const URL = process.env.VIGIL_EVENTS_URL;
const ADMIN_OTP = process.env.VIGIL_EVENTS_ADMIN_PASSWORD;
const SYSLOG_PORT = Number(process.env.VIGIL_EVENTS_SYSLOG_PORT);
const skip = !URL || !ADMIN_OTP || !SYSLOG_PORT
  ? 'VIGIL_EVENTS_URL, VIGIL_EVENTS_ADMIN_PASSWORD and VIGIL_EVENTS_SYSLOG_PORT not set (run tests/console/console_test.sh)'
  : false;

const ADMIN_PASSWORD = 'Events-Root-Pass-42!';
const ANALYST_PASSWORD = 'Analyst-Search-Pass-9#';
const shots = screenshotDir();

// What goes in: 70 payment events (more than one page of 50), 3 Chinese sign-in failures, 2
// firewall denials and 5 SSH failures from one address (the brute-force correlation) over HTTP;
// 2 syslog datagrams.
const PAYMENTS = 70;
const CHINESE = 3;
const FIREWALL = 2;
const SSH_FAILURES = 5;
const HTTP_EVENTS = PAYMENTS + CHINESE + FIREWALL + SSH_FAILURES;
const SYSLOG_EVENTS = 2;
const ALL = HTTP_EVENTS + SYSLOG_EVENTS;
const BAD_SYSLOG = 'this line is not RFC 5424 at all';

let browser;
let page; // the page the helpers below act on (the analyst's first tab)
let api; // the administrator's API session (its own cookie jar)
let csrf = '';
let ingestToken;
let analystOtp;
const problems = []; // CSP violations, uncaught errors

const tid = (id) => page.locator(`[data-testid="${id}"]`);

async function shot(name, fullPage = true) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

// A code of a time step the server has not seen yet (each code is accepted once).
const freshCode = freshCodes();

async function call(method, path, body, headers = {}) {
  const options = { headers: { ...headers } };
  if (csrf && method !== 'GET') options.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) options.data = body;
  const response = await api.fetch(path, { method, ...options });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (json?.csrf_token) csrf = json.csrf_token;
  return { status: response.status(), json };
}

async function ok(method, path, body, headers) {
  const r = await call(method, path, body, headers);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function ingestStatus() {
  return ok('GET', '/api/v1/ingest/status');
}

async function waitFor(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sendHttp(lines) {
  const response = await api.fetch('/api/v1/events', {
    method: 'POST',
    headers: { Authorization: `Bearer ${ingestToken}`, 'Content-Type': 'application/x-ndjson' },
    data: lines.join('\n') + '\n',
  });
  assert.equal(response.status(), 202, await response.text());
  return (await response.json()).accepted;
}

function sendSyslog(messages) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let left = messages.length;
    for (const m of messages) {
      socket.send(Buffer.from(m), SYSLOG_PORT, '127.0.0.1', (err) => {
        if (err) reject(err);
        if (--left === 0) {
          socket.close();
          resolve();
        }
      });
    }
  });
}

const rowCount = () => page.locator('[data-testid="ev-row"]').count();
const hash = () => new globalThis.URL(page.url()).hash;
const messageTexts = () => page.locator('[data-testid="ev-row"] td.message-cell').allInnerTexts();

// The form as the user sees it.
async function formValues() {
  const filters = [];
  for (let i = 0; (await tid(`ev-filter-field-${i}`).count()) > 0; i++) {
    filters.push(`${await tid(`ev-filter-field-${i}`).inputValue()}=${await tid(`ev-filter-value-${i}`).inputValue()}`);
  }
  return { range: await tid('ev-range').inputValue(), q: await tid('ev-q').inputValue(), filters };
}

// Waits for the search that the last action started and returns the histogram total.
async function searched(expectedTotal) {
  await page.waitForFunction((n) => {
    const total = document.querySelector('[data-testid="ev-total"]');
    return total && total.textContent.replace(/[^\d]/g, '') === String(n);
  }, expectedTotal);
  await page.waitForFunction(() => document.querySelector('[data-testid="ev-count"]') ||
    document.querySelector('[data-testid="ev-table"] tr.empty'));
}

before(async () => {
  if (skip) return;
  const { request } = await import('playwright-core');
  api = await request.newContext({ baseURL: URL, ignoreHTTPSErrors: true });
  ({ context: browser, page } = await openPage(problems));
});

after(async () => {
  if (api) await api.dispose();
  if (browser) await browser.close();
});

test('administrator over the API: first sign-in, an analyst, an ingest token', { skip }, async () => {
  await ok('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_OTP });
  await ok('POST', '/api/v1/auth/password', { old: ADMIN_OTP, new: ADMIN_PASSWORD });
  csrf = '';
  const login = await ok('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  assert.equal(login.mfa_enrolment_required, true);
  const { secret } = await ok('POST', '/api/v1/auth/totp/enroll', {});
  const key = base32Decode(secret);
  await ok('POST', '/api/v1/auth/totp/confirm', { code: freshCode(key) });
  csrf = '';
  await ok('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD, totp: freshCode(key) });

  const created = await ok('POST', '/api/v1/users', { username: 'analyst2', role: 'analyst', display_name: 'Search analyst' });
  analystOtp = created.one_time_password;
  assert.ok(analystOtp);
  const token = await ok('POST', '/api/v1/tokens', { name: 'shipper', scopes: ['events.ingest'], expires_days: 1 });
  ingestToken = token.token;
  assert.match(ingestToken, /^vgl_/);
  // The administrator ingests but does not read events (separation of duties).
  assert.equal((await call('GET', '/api/v1/events')).status, 403);
});

test('events go in over HTTP (NDJSON, Chinese text) and syslog UDP', { skip }, async () => {
  const lines = [];
  for (let i = 0; i < PAYMENTS; i++) {
    lines.push(JSON.stringify({ message: `checkout request ${i} accepted`, app: 'payments', seq: i }));
  }
  for (const user of ['zhangsan', 'lisi', 'wangwu']) {
    lines.push(JSON.stringify({ message: `用户 ${user} 登录失败：密码错误`, app: 'portal', user }));
  }
  for (let i = 0; i < FIREWALL; i++) {
    lines.push(JSON.stringify({ message: `firewall deny tcp 10.0.0.${i + 9}:443`, app: 'edge', action: 'deny' }));
  }
  const now = new Date().toISOString();
  // Text lines among the JSON ones: decoded as syslog, counted by the SSH brute-force
  // correlation (5 failures from one address in 5 minutes).
  for (let i = 0; i < SSH_FAILURES; i++) {
    lines.push(`<38>1 ${now} bastion sshd ${4000 + i} - - Failed password for invalid user oracle from 203.0.113.7 port ${50000 + i} ssh2`);
  }
  assert.equal(await sendHttp(lines), HTTP_EVENTS);
  await sendSyslog([`<13>1 ${now} gw01 router - - - link eth0 up`, BAD_SYSLOG]);
  await waitFor('every event stored', async () => (await ingestStatus()).stored_total >= ALL);
  const status = await ingestStatus();
  assert.equal(status.stored_total, ALL);
  const http = status.sources.find((s) => s.name === 'http');
  assert.equal(http.received, HTTP_EVENTS);
});

test('analyst: first sign-in; event search and sources in the navigation', { skip }, async () => {
  await signIn(page, URL, 'analyst2', analystOtp);
  await page.waitForURL(/#\/setup\/password$/);
  await tid('pw-new').fill(ANALYST_PASSWORD);
  await tid('pw-again').fill(ANALYST_PASSWORD);
  await tid('pw-submit').click();
  await page.waitForURL(/#\/login$/);
  await fillSignIn(page, 'analyst2', ANALYST_PASSWORD);
  await page.waitForURL(/#\/status$/);
  assert.ok(await tid('nav-events').isVisible());
  assert.ok(await tid('nav-sources').isVisible());
});

test('event search: histogram total, rows, load more', { skip }, async () => {
  await tid('nav-events').click();
  await searched(ALL);
  assert.equal(await tid('ev-range').inputValue(), '1h');
  // 60 bars whose counts add up to the total.
  const bars = await page.locator('[data-testid="ev-histogram"] rect.hist-bar').evaluateAll(
    (rects) => rects.map((r) => Number(r.getAttribute('data-count'))));
  assert.equal(bars.length, 60);
  assert.equal(bars.reduce((a, b) => a + b, 0), ALL);
  assert.equal(await rowCount(), 50);
  assert.match(await tid('ev-count').innerText(), /^50 events shown/);
  await shot('20-events');
  await tid('ev-more').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="ev-row"]').length === n, ALL);
  assert.equal(await tid('ev-more').count(), 0);
  assert.match(await tid('ev-count').innerText(), new RegExp(`^${ALL} events shown`));
});

test('event search: field filter rows, and a value clicked into a filter', { skip }, async () => {
  await tid('ev-filter-add').click();
  await tid('ev-filter-field-0').fill('app');
  await tid('ev-filter-value-0').fill('portal');
  await tid('ev-search').click();
  await searched(CHINESE);
  assert.equal(await rowCount(), CHINESE);
  await tid('ev-filter-remove-0').click();
  await tid('ev-search').click();
  await searched(ALL);

  // Open a firewall event and click its `action` value: the filter is added and searched.
  const row = page.locator('[data-testid="ev-row"]', { hasText: 'firewall deny' }).first();
  await row.click();
  const detail = page.locator('[data-testid="ev-detail"]:visible');
  await detail.locator('[data-testid="ev-fields"]').waitFor();
  assert.match(await detail.innerText(), /action/);
  await shot('21-event-detail');
  await detail.locator('[data-testid="ev-value-action"]').click();
  await searched(FIREWALL);
  assert.equal(await tid('ev-filter-field-0').inputValue(), 'action');
  assert.equal(await tid('ev-filter-value-0').inputValue(), 'deny');
  assert.equal(await rowCount(), FIREWALL);
  // The event's own attributes filter too: the source.
  await tid('ev-filter-field-0').fill('source');
  await tid('ev-filter-value-0').fill('syslog-udp');
  await tid('ev-search').click();
  await searched(SYSLOG_EVENTS);
  await tid('ev-filter-remove-0').click();
});

test('event search: full text in English and Chinese', { skip }, async () => {
  await tid('ev-q').fill('FIREWALL DENY');
  await tid('ev-search').click();
  await searched(FIREWALL);
  assert.equal(await rowCount(), FIREWALL);
  await tid('ev-q').fill('登录失败');
  await tid('ev-search').click();
  await searched(CHINESE);
  assert.equal(await rowCount(), CHINESE);
  const messages = await page.locator('[data-testid="ev-row"] td.message-cell').allInnerTexts();
  assert.ok(messages.every((m) => m.includes('登录失败')), messages.join('\n'));
  await shot('22-events-chinese-text');
});

test('event search: the server\'s error is shown on the page', { skip }, async () => {
  await tid('ev-range').selectOption('custom');
  await tid('ev-since').fill('2026-01-02T10:00:00');
  await tid('ev-until').fill('2026-01-01T10:00:00');
  await tid('ev-search').click();
  await tid('error').waitFor();
  assert.match(await tid('error').innerText(), /since must be before until/);
  await tid('ev-clear').click();
  await searched(ALL);
  assert.equal(await tid('error').count(), 0);
});

test('detections raised on the ingested events', { skip }, async () => {
  await tid('tab-detections').click();
  const row = page.locator('[data-testid="det-row"]', { hasText: 'SSH brute force' });
  await row.first().waitFor();
  assert.match(await row.first().innerText(), /High/);
  assert.match(await row.first().innerText(), /source_ip=203\.0\.113\.7/);
  // Opened, it shows the events it was raised on (read by id), each opening to its fields.
  await row.first().click();
  const events = tid('det-event');
  await events.first().waitFor();
  assert.equal(await events.count(), 5);
  for (const text of await events.allInnerTexts()) {
    assert.match(text, /Failed password for invalid user oracle from 203\.0\.113\.7/);
  }
  assert.equal(await tid('det-event-missing').count(), 0);
  await events.first().click();
  const detail = tid('det-event-detail').first();
  await detail.locator('[data-testid="ev-message"]').waitFor();
  assert.match(await detail.innerText(), /Event id[\s\S]*Failed password/);
  await shot('23-detections');
  await row.first().click();
  await tid('tab-events').click();
});

test('the search is in the address: a filter and text survive a reload', { skip }, async () => {
  assert.equal(hash(), '#/events?range=1h');
  await tid('ev-range').selectOption('24h');
  await searched(ALL);
  await tid('ev-filter-add').click();
  await tid('ev-filter-field-0').fill('app');
  await tid('ev-filter-value-0').fill('edge');
  await tid('ev-q').fill('deny');
  await tid('ev-search').click();
  await searched(FIREWALL);
  assert.equal(hash(), '#/events?range=24h&q=deny&f.app=edge');
  const shown = await messageTexts();
  assert.equal(shown.length, FIREWALL);

  // A reload starts the console afresh: whatever the form shows now came from the address.
  await page.reload();
  await searched(FIREWALL);
  assert.deepEqual(await formValues(), { range: '24h', q: 'deny', filters: ['app=edge'] });
  assert.deepEqual(await messageTexts(), shown);
  assert.equal(hash(), '#/events?range=24h&q=deny&f.app=edge');
});

test('the search in the address: a new search is a history entry, a tab is not', { skip }, async () => {
  const entries = await page.evaluate(() => history.length);
  await tid('tab-detections').click();
  assert.equal(hash(), '#/events?range=24h&q=deny&f.app=edge&tab=detections');
  await tid('tab-events').click();
  assert.equal(hash(), '#/events?range=24h&q=deny&f.app=edge');
  assert.equal(await page.evaluate(() => history.length), entries);

  await tid('ev-clear').click();
  await searched(ALL);
  assert.equal(hash(), '#/events?range=1h');
  assert.equal(await page.evaluate(() => history.length), entries + 1);
  await page.goBack();
  await searched(FIREWALL);
  assert.deepEqual(await formValues(), { range: '24h', q: 'deny', filters: ['app=edge'] });

  // Another page and back through the navigation (#/events, no query): the search of the session.
  await tid('nav-sources').click();
  await tid('source-row-http').waitFor();
  await tid('nav-events').click();
  await searched(FIREWALL);
  assert.deepEqual(await formValues(), { range: '24h', q: 'deny', filters: ['app=edge'] });
  assert.equal(hash(), '#/events?range=24h&q=deny&f.app=edge');
});

test('a link opened in a new tab runs its search: custom range, Chinese text, filter, tab', { skip }, async () => {
  const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * 3600_000);
  const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
  const utc = (d) => d.toISOString().replace('.000Z', 'Z');
  const link = `#/events?since=${utc(since)}&until=${utc(until)}&q=${encodeURIComponent('登录失败')}` +
    '&f.app=portal&tab=detections';
  const first = page;
  page = watchPage(await browser.newPage(), problems);
  try {
    await page.goto(`${URL}/${link}`);
    await searched(CHINESE);
    assert.deepEqual(await formValues(), { range: 'custom', q: '登录失败', filters: ['app=portal'] });
    // Shown in local time, as typed in the form.
    assert.equal(new Date(await tid('ev-since').inputValue()).getTime(), since.getTime());
    assert.equal(new Date(await tid('ev-until').inputValue()).getTime(), until.getTime());
    assert.equal(await tid('tab-detections').getAttribute('aria-selected'), 'true');
    await page.locator('[data-testid="det-row"]', { hasText: 'SSH brute force' }).first().waitFor();
    const messages = await messageTexts();
    assert.equal(messages.length, CHINESE);
    assert.ok(messages.every((m) => m.includes('登录失败')), messages.join('\n'));
    assert.equal(hash(), `#/events?range=custom&since=${utc(since)}&until=${utc(until)}` +
      '&q=%E7%99%BB%E5%BD%95%E5%A4%B1%E8%B4%A5&f.app=portal&tab=detections');
    assert.equal(await tid('ev-link-ignored').count(), 0);
    await shot('23b-events-from-link');
  } finally {
    await page.close();
    page = first;
  }
});

test('a malformed link: what can be read is searched, the rest named and ignored', { skip }, async () => {
  await page.goto(`${URL}/#/events?range=forever&since=yesterday&until=2026-13-45T10:00:00Z&f.=x` +
    '&f.action=deny&tab=nope&bogus=%E0%A4%A&%ZZ');
  // The page before showed 2 events too: the warning tells the new rendering apart.
  await tid('ev-link-ignored').waitFor();
  await searched(FIREWALL);
  assert.deepEqual(await formValues(), { range: '1h', q: '', filters: ['action=deny'] });
  assert.equal(await tid('tab-events').getAttribute('aria-selected'), 'true');
  assert.match(await tid('ev-link-ignored').innerText(), /could not be read.*: range, since, until, f\., tab\.$/);
  assert.equal(hash(), '#/events?range=1h&f.action=deny');
  await shot('23c-events-malformed-link', false);

  // Well-formed times the server refuses: its message, as for the same range typed in the form.
  await page.goto(`${URL}/#/events?since=2026-01-02T10:00:00Z&until=2026-01-01T10:00:00Z`);
  await tid('error').waitFor();
  assert.match(await tid('error').innerText(), /since must be before until/);
  assert.equal(await tid('ev-range').inputValue(), 'custom');

  // The page still works.
  await tid('ev-clear').click();
  await searched(ALL);
  assert.equal(await tid('error').count(), 0);
  assert.equal(hash(), '#/events?range=1h');
});

test('a search link opened signed out: the sign-in leads to it, search and all', { skip }, async () => {
  const link = '#/events?range=24h&q=deny&f.app=edge';
  await tid('logout').click();
  await page.waitForURL(/#\/login$/);
  await page.goto(`${URL}/${link}`);
  await page.waitForURL(/#\/login$/);
  // The link is kept in this tab's sessionStorage: a reload of the sign-in page (a fresh
  // console, whose last search is the default one) keeps it.
  await page.reload();
  await fillSignIn(page, 'analyst2', ANALYST_PASSWORD);
  await searched(FIREWALL);
  assert.equal(hash(), link);
  assert.deepEqual(await formValues(), { range: '24h', q: 'deny', filters: ['app=edge'] });
  assert.equal(await rowCount(), FIREWALL);
  assert.equal(await tid('ev-link-ignored').count(), 0);
  await shot('23d-events-after-sign-in', false);
  // The later tests start from the default search.
  await tid('ev-clear').click();
  await searched(ALL);
});

test('sources: counters, state, malformed samples, auto-refresh', { skip }, async () => {
  await tid('nav-sources').click();
  await tid('source-row-http').waitFor();
  assert.equal(await tid('source-received-http').innerText(), String(HTTP_EVENTS));
  assert.match(await tid('source-row-http').innerText(), /http/);
  assert.equal(await tid('source-received-syslog-udp').innerText(), String(SYSLOG_EVENTS));
  assert.match(await tid('source-problems-syslog-udp').innerText(), /Malformed 1/);
  assert.match(await tid('ingest-stored').innerText(), new RegExp(String(ALL)));
  // Serve's memory, with its peak and SQLite's part.
  assert.match(await tid('ingest-process-memory').innerText(),
    /Server memory\s+[\d.]+ (KiB|MiB|GiB)\s+peak [\d.]+ (KiB|MiB|GiB); SQLite [\d.]+ (B|KiB|MiB|GiB)/);
  // The malformed line, with the reason, on a click.
  assert.ok(await tid('source-detail-syslog-udp').isHidden());
  await tid('source-samples-toggle-syslog-udp').click();
  await tid('source-samples-syslog-udp').waitFor();
  assert.match(await tid('source-samples-syslog-udp').innerText(), new RegExp(BAD_SYSLOG));
  // Audit events a bound cut into pieces (none here) are among the counters.
  assert.match(await tid('source-detail-syslog-udp').innerText(), /Audit events stored in pieces\s+0/);
  await shot('24-sources');
  // New events show up without a click: the page asks again every 5 s (and keeps the row open).
  await sendHttp([JSON.stringify({ message: 'one more', app: 'payments' })]);
  await page.waitForFunction((n) =>
    document.querySelector('[data-testid="source-received-http"]')?.textContent === String(n),
  HTTP_EVENTS + 1, { timeout: 12_000 });
  assert.match(await tid('source-state-http').innerText(), /Receiving/);
  assert.ok(await tid('source-samples-syslog-udp').isVisible());
});

test('Chinese labels on the sources and event search pages', { skip }, async () => {
  await tid('lang-zh-CN').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await tid('source-row-http').waitFor();
  assert.equal((await page.locator('h1').innerText()).trim(), '采集源');
  assert.equal((await tid('nav-events').innerText()).trim(), '事件检索');
  assert.match(await tid('source-state-http').innerText(), /接收中/);
  assert.match(await tid('ingest-process-memory').innerText(), /服务内存[\s\S]*峰值 [\d.]+ \S+；SQLite/);
  assert.match(await tid('sources-table').locator('thead').innerText(), /状态[\s\S]*速率[\s\S]*最近事件/);
  await shot('25-sources-zh');
  await tid('nav-events').click();
  await searched(ALL + 1);
  assert.equal((await page.locator('h1').innerText()).trim(), '事件检索');
  assert.match(await tid('ev-total').innerText(), /^共 \d+ 条事件$/);
  assert.match(await page.locator('.panel-title').first().innerText(), /事件时间分布/);
  assert.match(await tid('ev-count').innerText(), /已显示 50 条/);
  assert.equal(await tid('ev-search').innerText(), '检索');
  await shot('26-events-zh');
  await tid('lang-en').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await searched(ALL + 1);
});

test('leaving the sources page stops its refresh', { skip }, async () => {
  const asked = [];
  const listener = (r) => {
    if (r.url().includes('/api/v1/ingest/status')) asked.push(Date.now());
  };
  await tid('nav-sources').click();
  await tid('source-row-http').waitFor();
  await tid('nav-events').click();
  await tid('ev-total').waitFor();
  page.on('request', listener);
  await page.waitForTimeout(6_000);
  page.off('request', listener);
  assert.deepEqual(asked, []);
});

// ---- fields, times and text as logged ---------------------------------------------------------

// Sends `lines` (strings, or Buffers for bytes that are not UTF-8) over HTTP and waits until the
// server has stored them all.
async function ingest(lines) {
  const before = (await ingestStatus()).stored_total;
  const body = Buffer.concat(lines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')])));
  const response = await api.fetch('/api/v1/events', {
    method: 'POST',
    headers: { Authorization: `Bearer ${ingestToken}`, 'Content-Type': 'application/x-ndjson' },
    data: body,
  });
  assert.equal(response.status(), 202, await response.text());
  await waitFor('the events stored', async () => (await ingestStatus()).stored_total >= before + lines.length);
}

// Opens the first row of the search shown and returns its detail.
async function openFirstRow() {
  await page.locator('[data-testid="ev-row"]').first().click();
  const detail = page.locator('[data-testid="ev-detail"]:visible');
  await detail.locator('[data-testid="ev-message"]').waitFor();
  return detail;
}

// The detail's field table as { dotted name: [values as shown] }.
const fieldTable = (detail) => detail.locator('[data-testid="ev-fields"]').evaluate((table) =>
  Object.fromEntries([...table.querySelectorAll('tr')].map((tr) => [
    tr.querySelector('td.field-name').textContent,
    [...tr.querySelectorAll('td:last-child > *')].map((el) => el.textContent),
  ])));

// Nested JSON (ECS style): the store nests dotted names ({"source":{"ip":…}}), a repeated name
// comes as an array; numbers must stay as the server wrote them: an integer past 2^53, and 1e21,
// which the server writes 1e+21 (JS would say 1e21).
const NESTED = '{"message":"nested ecs event","app":"nested","source":{"ip":"198.51.100.7","port":4444},' +
  '"user":{"name":"alice","roles":["dba","ops"]},"txn":12345678901234567890,"big":1e21}';

test('event detail: nested fields under their dotted names, a value clicked filters on exactly it', { skip }, async () => {
  await ingest([NESTED, Buffer.from('{"message":"bad bytes in value","app":"badutf","user":"ad\xffmin"}', 'latin1')]);
  await page.goto(`${URL}/#/events?range=1h&f.app=nested`);
  await searched(1);
  // One event: singular.
  assert.equal(await tid('ev-total').innerText(), '1 event');
  assert.match(await tid('ev-count').innerText(), /^1 event shown/);
  const detail = await openFirstRow();
  assert.doesNotMatch(await detail.innerText(), /\[object Object\]/);
  const fields = await fieldTable(detail);
  assert.deepEqual(fields['source.ip'], ['198.51.100.7']);
  assert.deepEqual(fields['source.port'], ['4444']);
  assert.deepEqual(fields['user.name'], ['alice']);
  assert.deepEqual(fields['user.roles'], ['dba', 'ops']);
  assert.deepEqual(fields.txn, ['12345678901234567890']);
  assert.deepEqual(fields.big, ['1e+21']);
  assert.equal(fields.source, undefined);
  await shot('27-event-nested-fields');

  // A click: the dotted name and the exact value, which the server finds.
  await detail.locator('[data-testid="ev-value-source.ip"]').click();
  await searched(1);
  assert.deepEqual((await formValues()).filters, ['app=nested', 'source.ip=198.51.100.7']);
  assert.match(hash(), /&f\.app=nested&f\.source\.ip=198\.51\.100\.7$/);
  await (await openFirstRow()).locator('[data-testid="ev-value-txn"]').click();
  await searched(1);
  assert.deepEqual((await formValues()).filters, ['app=nested', 'source.ip=198.51.100.7', 'txn=12345678901234567890']);
  await (await openFirstRow()).locator('[data-testid="ev-value-user.roles"]', { hasText: 'ops' }).click();
  await searched(1);
  assert.deepEqual((await formValues()).filters.at(-1), 'user.roles=ops');
  await (await openFirstRow()).locator('[data-testid="ev-value-big"]').click();
  await searched(1);
  assert.deepEqual((await formValues()).filters.at(-1), 'big=1e+21');

  // A JSON line with a byte that is not UTF-8: decoded all the same (one byte a sender controls
  // must not leave the event without fields), the byte as U+FFFD; the raw line keeps it.
  await page.goto(`${URL}/#/events?range=1h&q=${encodeURIComponent('bad bytes in value')}`);
  await searched(1);
  const bad = await fieldTable(await openFirstRow());
  assert.equal(bad['vigil.decode_error'], undefined, JSON.stringify(bad));
  assert.deepEqual(bad.app, ['badutf'], JSON.stringify(bad));
  assert.deepEqual(bad.user, ['ad\uFFFDmin'], JSON.stringify(bad));
  assert.doesNotMatch(JSON.stringify(bad), /object Object/);
});

test('invisible and direction-changing characters are shown by their codes, and still searched exactly', { skip }, async () => {
  const user = '\u202Enimda\u202C';
  const line = JSON.stringify({
    message: `login ok user=${user} from 10.0.0.1`, app: 'bidi', user, 'file\u200Fname': 'invoice\u2066fdp.exe\u0007',
  });
  const marked = (s) => s.replace(/[\u202E\u202C\u200F\u2066\u0007]/g, (ch) => `‹U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}›`);
  await ingest([line]);
  await sendSyslog([`bidi sample ${user} not syslog`]);
  await page.goto(`${URL}/#/events?range=1h&f.app=bidi`);
  await searched(1);
  const shownUser = '‹U+202E›nimda‹U+202C›';
  // The message of a JSON line is the line.
  assert.deepEqual(await messageTexts(), [marked(line)]);
  const detail = await openFirstRow();
  const fields = await fieldTable(detail);
  assert.deepEqual(fields.user, [shownUser]);
  assert.deepEqual(fields['file‹U+200F›name'], ['invoice‹U+2066›fdp.exe‹U+0007›']);
  assert.equal(await detail.locator('[data-testid="ev-message"]').innerText(), marked(line));
  assert.match(marked(line), /user=‹U\+202E›nimda‹U\+202C› from/);
  // Marked as characters of the text, not text that reads "‹U+202E›".
  assert.equal(await detail.locator('[data-testid="ev-value-user"] .ctl').count(), 2);
  assert.match(await detail.locator('[data-testid="ev-value-user"] .ctl').first().getAttribute('title'), /U\+202E/);
  await shot('28-event-bidi');
  // The filter is the value as stored.
  await detail.locator('[data-testid="ev-value-user"]').click();
  await searched(1);
  assert.equal(await tid('ev-filter-value-1').inputValue(), user);

  // The malformed sample on the sources page too.
  await tid('nav-sources').click();
  await tid('source-row-syslog-udp').waitFor();
  if (await tid('source-detail-syslog-udp').isHidden()) await tid('source-row-syslog-udp').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="source-samples-syslog-udp"]')?.textContent.includes('bidi sample'),
  null, { timeout: 12_000 });
  assert.match(await tid('source-samples-syslog-udp').innerText(), /bidi sample ‹U\+202E›nimda‹U\+202C› not syslog/);
});

test('an event\'s own implausible time: listed by its search time, its own time shown apart', { skip }, async () => {
  const sent = Date.now();
  await ingest([JSON.stringify({ message: 'backdated admin login', app: 'backdate', time: '2001-09-09T01:46:40Z' })]);
  await page.goto(`${URL}/#/events?range=15m&f.app=backdate`);
  await searched(1);
  const time = await page.locator('[data-testid="ev-row"] td').first().getAttribute('title');
  assert.ok(Math.abs(Date.parse(time) - sent) < 60_000, `the Time column shows ${time}`);
  const detail = await openFirstRow();
  assert.equal(await detail.locator('[data-testid="ev-time"]').getAttribute('title'), time);
  const own = detail.locator('[data-testid="ev-event-time"]');
  assert.match(await own.innerText(), /^2001-09-0\d \d\d:\d\d:40 \(not used: /);
  assert.equal(await own.locator('span').first().getAttribute('title'), '2001-09-09T01:46:40.000Z');
  assert.match(await detail.innerText(), /Event's own time/);
  // An event without a time of its own: no such line.
  await page.goto(`${URL}/#/events?range=1h&f.app=nested`);
  await searched(1);
  assert.equal(await (await openFirstRow()).locator('[data-testid="ev-event-time"]').count(), 0);

  await tid('lang-zh-CN').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await searched(1);
  assert.equal(await tid('ev-total').innerText(), '共 1 条事件');
  await page.goto(`${URL}/#/events?range=15m&f.app=backdate`);
  await searched(1);
  assert.match(await (await openFirstRow()).innerText(), /事件自带时间\s+2001-09-0\d [\d:]+ （未采用：/);
  await tid('lang-en').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await searched(1);
});

test('a histogram bar clicked searches exactly its span', { skip }, async () => {
  // Events every 100 ms over two and a half minutes, half an hour ago: a bar's edges, which need not fall on
  // a whole second (nor millisecond), decide its count.
  const start = Date.now() - 31 * 60_000;
  const lines = [];
  for (let t = start; t < start + 150_000; t += 100) {
    lines.push(JSON.stringify({ message: `dense ${t}`, app: 'dense', time: new Date(t).toISOString() }));
  }
  await ingest(lines);
  await page.goto(`${URL}/#/events?range=1h&f.app=dense`);
  await searched(lines.length);
  const bars = await page.locator('[data-testid="ev-histogram"] rect.hist-bar').evaluateAll(
    (rects) => rects.map((r) => Number(r.getAttribute('data-count'))));
  const i = bars.findIndex((n, k) => n > 0 && bars[k - 1] > 0 && bars[k + 1] > 0);
  assert.ok(i > 0, bars.join(' '));
  await page.locator('[data-testid="ev-histogram"] g.hist-slot').nth(i).click();
  await searched(bars[i]);
  assert.equal(await tid('ev-range').inputValue(), 'custom');
  const link = hash();
  const [, since, until] = /since=([^&]+)&until=([^&]+)/.exec(link);
  // The edges, to the millisecond in the form and as sent in the link.
  assert.equal(new Date(await tid('ev-since').inputValue()).getTime(), Math.floor(Date.parse(since)));
  assert.ok(Date.parse(until) - Date.parse(since) < 61_000, link);
  // The link searches the same span.
  await page.reload();
  await searched(bars[i]);
  assert.equal(hash(), link);
});

test('the sources page\'s automatic refresh says so (X-Vigil-Refresh), a user\'s request does not', { skip }, async () => {
  const asked = [];
  const listener = (r) => {
    if (r.url().includes('/api/v1/ingest/status')) asked.push(r.headers()['x-vigil-refresh'] ?? null);
  };
  page.on('request', listener);
  try {
    await tid('nav-sources').click();
    await tid('source-row-http').waitFor();
    await waitFor('an automatic refresh', async () => asked.length >= 2, 12_000);
    await tid('sources-refresh').click();
    await waitFor('the refresh clicked', async () => asked.length >= 3);
  } finally {
    page.off('request', listener);
  }
  assert.deepEqual(asked.slice(0, 3), [null, '1', null]);
});

test('a user without events.read: no raw log text on the sources page, and told why', { skip }, async () => {
  const created = await ok('POST', '/api/v1/users', { username: 'viewer2', role: 'viewer' });
  const password = 'Viewer-Status-Pass-7!';
  await tid('logout').click();
  await page.waitForURL(/#\/login$/);
  await fillSignIn(page, 'viewer2', created.one_time_password);
  await page.waitForURL(/#\/setup\/password$/);
  await tid('pw-new').fill(password);
  await tid('pw-again').fill(password);
  await tid('pw-submit').click();
  await page.waitForURL(/#\/login$/);
  await fillSignIn(page, 'viewer2', password);
  await page.waitForURL(/#\/status$/);
  await tid('nav-sources').click();
  await tid('source-row-syslog-udp').click();
  const withheld = tid('source-samples-withheld-syslog-udp');
  await withheld.waitFor();
  assert.match(await withheld.innerText(), /events\.read/);
  assert.equal(await tid('source-samples-syslog-udp').count(), 0);
  assert.doesNotMatch(await tid('source-detail-syslog-udp').innerText(), new RegExp(BAD_SYSLOG));
  await shot('29-sources-samples-withheld');
  await tid('lang-zh-CN').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await withheld.waitFor();
  assert.match(await withheld.innerText(), /原始日志文本样本仅向拥有 events\.read 权限/);
  await tid('lang-en').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
});

test('no CSP violation or script error in the whole run', { skip }, () => {
  assert.deepEqual(problems, []);
});
