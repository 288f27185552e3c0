// Times arrive as RFC 3339 UTC strings and are shown in the browser's local time zone, in one
// unambiguous 24-hour form for every language: 2026-11-21 22:03:06.
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

// A Date as a datetime-local input value (local time, to the second).
export function toLocalInput(d: Date): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
