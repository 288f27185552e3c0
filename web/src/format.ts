// Times arrive as RFC 3339 UTC strings and are shown in the browser's local time zone, in one
// unambiguous 24-hour form for every language: 2026-11-21 22:03:06.
import { type Child, h } from './dom';
import { lang, t } from './i18n';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function localTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && RFC3339.test(value);
}

export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const parts: string[] = [];
  if (days) parts.push(t('unit.days', { n: days }));
  if (days || hours) parts.push(t('unit.hours', { n: hours }));
  if (days || hours || minutes) parts.push(t('unit.minutes', { n: minutes }));
  if (!days) parts.push(t('unit.seconds', { n: seconds }));
  return parts.join(' ');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

// A datetime-local input value (local time, no zone) as an RFC 3339 UTC string.
export function localInputToUtc(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// A count with the language's digit grouping: 12,345. A count beyond 2^53 comes as a string of
// digits, grouped as exactly.
export function num(n: number | string | null | undefined): string {
  if (typeof n === 'string') return /^-?\d+$/.test(n) ? BigInt(n).toLocaleString(lang()) : n;
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString(lang()) : '—';
}

// A message rate: one decimal below 10 per second.
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  return perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString(lang());
}

// A span of seconds in its largest whole unit (15 s, 24 min, 2 h, 1 d); histogram bars.
export function span(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s % 86400 === 0) return t('unit.days', { n: s / 86400 });
  if (s % 3600 === 0) return t('unit.hours', { n: s / 3600 });
  if (s % 60 === 0) return t('unit.minutes', { n: s / 60 });
  return t('unit.seconds', { n: s });
}

// A Date as a datetime-local input value (local time, to the second; to the millisecond when it
// has one).
export function toLocalInput(d: Date): string {
  const ms = d.getMilliseconds();
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    (ms ? `.${pad(ms, 3)}` : '')
  );
}

// ---- nanoseconds ---------------------------------------------------------------------------
// The server counts time in nanoseconds; a Date holds milliseconds. Bounds computed from the
// server's (a histogram bar's edges) are kept as bigint nanoseconds since the epoch.

const NS_PER_S = 1_000_000_000n;

// An RFC 3339 time as nanoseconds since the epoch (digits past the ninth are dropped, as the
// server does), or null.
export function timeNs(iso: string): bigint | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m) return null;
  const seconds = Date.parse(m[1] + m[3]);
  if (Number.isNaN(seconds)) return null;
  return BigInt(seconds / 1000) * NS_PER_S + BigInt((m[2] ?? '').slice(0, 9).padEnd(9, '0'));
}

// Nanoseconds since the epoch as RFC 3339 UTC, with as many fractional digits as it needs
// (none, 3, 6 or 9): 2026-11-23T10:00:00.123456789Z.
export function isoNs(ns: bigint): string {
  let seconds = ns / NS_PER_S;
  let rem = ns % NS_PER_S;
  if (rem < 0n) {
    rem += NS_PER_S;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, '');
  if (rem === 0n) return `${base}Z`;
  let frac = rem.toString().padStart(9, '0');
  while (frac.length > 3 && frac.endsWith('000')) frac = frac.slice(0, -3);
  return `${base}.${frac}Z`;
}

// A number of seconds (a JSON number, or its text when the server sent it as a string) as
// nanoseconds, from its decimal text rather than through a float multiplication; null when it
// is not a number.
export function secondsNs(seconds: number | string): bigint | null {
  const text = typeof seconds === 'number' ? String(seconds) : seconds.trim();
  const m = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) return null;
  const digits = m[1] + (m[2] ?? '');
  const point = m[1].length + Number(m[3] ?? 0) + 9; // where the point goes, in nanoseconds
  if (point <= 0) return 0n;
  return BigInt(digits.length >= point ? digits.slice(0, point) : digits.padEnd(point, '0'));
}

// ---- log text as it is -----------------------------------------------------------------------
// Characters that are not displayed, or that change how the text around them is displayed: C0
// and C1 controls (but tab, line feed and carriage return), bidirectional embeddings, overrides,
// isolates and marks (U+202E makes "user=\u202Enimda" read "user=admin"), zero-width and other
// invisible format characters, and the tag characters. Every log-derived text on the pages goes
// through visible(), which shows each of them as a marked ‹U+202E›.
const HIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}]/gu;

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

// The text as a string when it has none of those characters; else a fragment of text and one
// <span class="ctl"> per character.
export function visible(text: string | null | undefined): Child {
  const s = text ?? '';
  // search(), not test(): a global expression's test() moves its lastIndex, where matchAll()
  // would then start.
  if (s.search(HIDDEN) < 0) return s;
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of s.matchAll(HIDDEN)) {
    if (m.index > last) out.append(s.slice(last, m.index));
    const code = codePoint(m[0]);
    out.append(h('span', { class: 'ctl', title: t('common.hiddenChar', { code }) }, `‹${code}›`));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.append(s.slice(last));
  return out;
}

// The same as plain text, for where the text goes in as a string (a message built with t()).
export function visibleText(text: string | null | undefined): string {
  return (text ?? '').replace(HIDDEN, (ch) => `‹${codePoint(ch)}›`);
}
