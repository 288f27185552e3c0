// System status: GET /api/v1/system/status rendered generically, so that sections added by
// later issues show up without a console change: top-level values as summary tiles, each
// nested object as a card of key/value rows, null as "not configured".
import { get } from '../api';
import { type Child, h, replace } from '../dom';
import { bytes, duration, isTimestamp, localTime } from '../format';
import { t, tMaybe } from '../i18n';
import type { PageContext } from '../main';
import { badge, button, loading, pageHeader } from '../ui';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function humanize(key: string): string {
  const s = key.replace(/_(bytes|seconds)$/, '').replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const label = (key: string) => tMaybe(`status.key.${key}`, humanize(key));

function value(key: string, v: Json): Child {
  if (v === null || v === undefined) return h('span', { class: 'hint' }, '—');
  if (typeof v === 'boolean') {
    if (key === 'ok' || key.endsWith('_ok') || key === 'healthy') return badge(v ? t('common.ok') : t('common.failed'), v ? 'ok' : 'bad');
    return t(v ? 'common.yes' : 'common.no');
  }
  if (typeof v === 'number') {
    if (key.endsWith('_bytes') || key === 'bytes' || key === 'size') return bytes(v);
    if (key.endsWith('_seconds')) return duration(v);
    return String(v);
  }
  if (typeof v === 'string') return isTimestamp(v) ? h('span', { title: v }, localTime(v)) : v;
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return v.map(String).join(', ') || '—';
    return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
  }
  return kv(v);
}

function kv(obj: { [key: string]: Json }): HTMLElement {
  const entries = Object.entries(obj);
  if (entries.length === 0) return h('span', { class: 'hint' }, '—');
  return h('dl', { class: 'kv' }, entries.flatMap(([k, v]) => [h('dt', null, label(k)), h('dd', { testid: `status-${k}` }, value(k, v))]));
}

// The server's JSON objects come with sorted keys; show the familiar sections first.
const ORDER = ['version', 'started_at', 'uptime_seconds', 'server', 'sessions', 'users', 'audit', 'database', 'backup', 'ingestion'];

function ordered(obj: { [key: string]: Json }): [string, Json][] {
  const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
  return Object.entries(obj).sort(([a], [b]) => rank(a) - rank(b));
}

export async function renderStatus(content: HTMLElement, ctx: PageContext): Promise<void> {
  const body = h('div', null, loading());
  const load = async () => {
    const status = await get<{ [key: string]: Json }>('/api/v1/system/status');
    if (!ctx.live()) return;
    const tiles: HTMLElement[] = [];
    const cards: HTMLElement[] = [];
    for (const [key, v] of ordered(status)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        cards.push(h('section', { class: 'card', testid: `card-${key}` },
          h('h2', { class: 'card-title' }, label(key)), kv(v)));
      } else if (v === null) {
        cards.push(h('section', { class: 'card card-empty', testid: `card-${key}` },
          h('h2', { class: 'card-title' }, label(key)), h('p', { class: 'hint' }, t('status.notConfigured'))));
      } else {
        tiles.push(h('div', { class: 'tile', testid: `tile-${key}` },
          h('div', { class: 'tile-label' }, label(key)), h('div', { class: 'tile-value' }, value(key, v))));
      }
    }
    replace(body,
      h('div', { class: 'tiles' }, tiles),
      h('div', { class: 'cards' }, cards),
      h('p', { class: 'hint' }, t('status.updated', { time: localTime(new Date().toISOString()) })),
    );
  };
  content.append(
    pageHeader(t('nav.status'), button(t('common.refresh'), load, { testid: 'status-refresh' })),
    body,
  );
  await load();
}
