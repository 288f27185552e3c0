// Ingestion sources: GET /api/v1/ingest/status, refreshed every 5 s while the page is open.
// Totals and the buffer/spool on top, then one row per source with its state (receiving, idle,
// silent), rate, last event and counters; a click shows every counter and the latest malformed
// messages (to a user with events.read: the server withholds raw log text from the others).
import { type IngestSource, type IngestStatus, get } from '../api';
import { type Child, h, replace } from '../dom';
import { bytes, localTime, num, rate, visible, visibleText } from '../format';
import { type Key, t } from '../i18n';
import type { PageContext } from '../main';
import { MessageArea, alertBox, badge, button, emptyRow, loading, pageHeader, panel } from '../ui';

const REFRESH_MS = 5000;
// A source that received a message within this long is "receiving".
const RECEIVING_MS = 60_000;
const COLS = 11;

// Rows the user opened stay open across refreshes and language switches.
const expanded = new Set<string>();

export type SourceState = 'receiving' | 'idle' | 'silent';

// `now` is the server's clock (the answer's updated_at), so a browser with a wrong clock still
// tells receiving from idle.
export function sourceState(s: IngestSource, nowMs: number): SourceState {
  if (s.silent) return 'silent';
  if (s.last_received_at) {
    const last = Date.parse(s.last_received_at);
    if (!Number.isNaN(last) && nowMs - last < RECEIVING_MS) return 'receiving';
  }
  return 'idle';
}

const STATE_BADGE: Record<SourceState, 'ok' | 'neutral' | 'bad'> = { receiving: 'ok', idle: 'neutral', silent: 'bad' };

// The counters that mean something went wrong, in the order they are shown.
const PROBLEMS: [keyof IngestSource, Key][] = [
  ['malformed', 'sources.malformed'],
  ['refused', 'sources.refused'],
  ['kernel_drops', 'sources.kernelDrops'],
  ['oversized', 'sources.oversized'],
  ['framing_errors', 'sources.framingErrors'],
  ['tls_failures', 'sources.tlsFailures'],
  ['connections_refused', 'sources.connectionsRefused'],
  ['audit_cut', 'sources.auditCut'],
  ['compressed_skipped', 'sources.compressedSkipped'],
  ['dated_ahead', 'sources.datedAhead'],
  ['paused', 'sources.paused'],
];

const DETAIL: [keyof IngestSource, Key][] = [
  ['received', 'sources.received'],
  ['bytes', 'sources.bytes'],
  ['parsed', 'sources.parsed'],
  ['malformed', 'sources.malformed'],
  ['stored', 'sources.stored'],
  ['duplicates', 'sources.duplicates'],
  ['detections', 'sources.detections'],
  ['refused', 'sources.refused'],
  ['kernel_drops', 'sources.kernelDrops'],
  ['paused', 'sources.paused'],
  ['oversized', 'sources.oversized'],
  ['framing_errors', 'sources.framingErrors'],
  ['connections', 'sources.connections'],
  ['connections_refused', 'sources.connectionsRefused'],
  ['tls_failures', 'sources.tlsFailures'],
  ['audit_cut', 'sources.auditCut'],
  ['compressed_skipped', 'sources.compressedSkipped'],
  ['dated_ahead', 'sources.datedAhead'],
];

export async function renderSources(content: HTMLElement, ctx: PageContext): Promise<void> {
  const messages = new MessageArea();
  const summary = h('div', null, loading());
  const tbody = h('tbody');
  const updated = h('p', { class: 'hint', testid: 'sources-updated' });
  let timer = 0;

  const row = (s: IngestSource, nowMs: number, withheld: boolean): HTMLTableRowElement[] => {
    const state = sourceState(s, nowMs);
    const id = s.name;
    const detail = h('tr', { class: 'detail-row', hidden: !expanded.has(id), testid: `source-detail-${id}` },
      h('td', { colspan: COLS }, detailBody(s, withheld)));
    const toggle = () => {
      detail.hidden = !detail.hidden;
      if (detail.hidden) expanded.delete(id);
      else expanded.add(id);
    };
    const problems: Child[] = PROBLEMS
      .filter(([k]) => (s[k] as number) > 0)
      .map(([k, label]) => badge(`${t(label)} ${num(s[k] as number)}`, k === 'paused' ? 'warn' : 'bad'));
    const samples = s.malformed_samples?.length ?? 0;
    const main = h('tr', {
      class: 'clickable',
      testid: `source-row-${id}`,
      title: t('sources.clickForDetail'),
      on: { click: toggle },
    },
      h('td', null,
        h('div', { class: 'source-name' }, visible(s.name)),
        h('div', { class: 'hint mono' }, visible([s.type, s.decoder, s.port ? `:${s.port}` : ''].filter(Boolean).join(' · ')))),
      h('td', { testid: `source-state-${id}`, title: t(`sources.stateHint.${state}`) },
        badge(t(`sources.state.${state}`), STATE_BADGE[state])),
      h('td', { class: 'right nowrap', testid: `source-rate-${id}` }, t('sources.perSecond', { n: rate(s.rate_per_s) })),
      h('td', { class: 'nowrap', title: s.last_received_at ?? '' },
        s.last_received_at ? localTime(s.last_received_at) : h('span', { class: 'hint' }, t('sources.never'))),
      h('td', { class: 'right', testid: `source-received-${id}` }, num(s.received)),
      h('td', { class: 'right nowrap' }, bytes(s.bytes ?? 0)),
      h('td', { class: 'right' }, num(s.parsed)),
      h('td', { class: 'right' }, num(s.stored)),
      h('td', { class: 'right' }, num(s.detections)),
      h('td', { class: 'right' }, num(s.connections)),
      h('td', { testid: `source-problems-${id}` },
        problems.length ? problems : h('span', { class: 'hint' }, t('sources.noProblems')),
        samples
          ? button(t('sources.samples', { n: samples }), (e) => {
            e.stopPropagation();
            toggle();
          }, { kind: 'link', small: true, testid: `source-samples-toggle-${id}` })
          : null),
    );
    return [main, detail];
  };

  // `refresh`: asked by the timer, not the user (X-Vigil-Refresh: the server does not count it
  // as activity, so an unattended page still reaches the idle timeout).
  const load = async (refresh = false) => {
    try {
      const status = await get<IngestStatus>('/api/v1/ingest/status', { refresh });
      if (!ctx.live()) return;
      messages.clear();
      const nowMs = Date.parse(status.updated_at) || Date.now();
      const sources = status.sources ?? [];
      replace(summary, summaryTiles(status));
      replace(tbody, sources.length ? sources.flatMap((s) => row(s, nowMs, status.samples_withheld === true)) : emptyRow(COLS, 'sources.none'));
      replace(updated, t('sources.updated', { time: localTime(status.updated_at) }));
    } catch (e) {
      if (ctx.live()) messages.error(e);
    }
  };

  // A chain of timeouts rather than an interval: a slow answer never stacks requests. Hidden tabs
  // skip the request; leaving the page stops the chain.
  // The first load is the user's (opening the page); the timer's are refreshes.
  const tick = async (refresh: boolean) => {
    if (!ctx.live()) return;
    if (!document.hidden) await load(refresh);
    if (ctx.live()) timer = window.setTimeout(() => void tick(true), REFRESH_MS);
  };
  ctx.onLeave(() => window.clearTimeout(timer));

  content.append(
    pageHeader(t('nav.sources'), button(t('common.refresh'), () => load(), { testid: 'sources-refresh' })),
    h('p', { class: 'page-intro' }, t('sources.intro')),
    messages.el,
    summary,
    panel(t('sources.title'),
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table', testid: 'sources-table' },
          h('thead', null, h('tr', null,
            h('th', null, t('sources.name')),
            h('th', null, t('sources.state')),
            h('th', { class: 'right' }, t('sources.rate')),
            h('th', null, t('sources.lastEvent')),
            h('th', { class: 'right' }, t('sources.received')),
            h('th', { class: 'right' }, t('sources.bytes')),
            h('th', { class: 'right' }, t('sources.parsed')),
            h('th', { class: 'right' }, t('sources.stored')),
            h('th', { class: 'right' }, t('sources.detections')),
            h('th', { class: 'right' }, t('sources.connections')),
            h('th', null, t('sources.problems')),
          )),
          tbody))),
    updated,
  );
  await tick(false);
}

function summaryTiles(s: IngestStatus): HTMLElement {
  const tile = (id: string, label: string, value: Child, hint?: string, warn = false) =>
    h('div', { class: `tile${warn ? ' tile-warn' : ''}`, testid: `ingest-${id}` },
      h('div', { class: 'tile-label' }, label),
      h('div', { class: 'tile-value' }, value),
      hint ? h('div', { class: 'hint' }, hint) : null);
  const b = s.buffer;
  const p = s.process;
  return h('div', null,
    s.last_error ? alertBox('warning', t('sources.lastError', { error: visibleText(s.last_error) }), 'ingest-last-error') : null,
    h('div', { class: 'tiles' },
      tile('accepted', t('sources.accepted'), num(s.accepted_total)),
      tile('stored', t('sources.stored'), num(s.stored_total)),
      tile('detections', t('sources.detections'), num(s.detections_total)),
      tile('store-errors', t('sources.storeErrors'), num(s.store_errors), undefined, s.store_errors > 0),
      tile('rules', t('sources.rules'), num(s.rules_loaded),
        s.rules_rejected ? t('sources.rulesRejected', { n: num(s.rules_rejected) }) : undefined, s.rules_rejected > 0),
      b ? tile('memory', t('sources.memory'), num(b.memory_messages)) : null,
      b ? tile('spool', t('sources.spooled'), num(b.spooled_records), bytes(b.spooled_bytes)) : null,
      b ? tile('spooled-total', t('sources.spooledTotal'), num(b.spooled_total)) : null,
      b ? tile('refused-total', t('sources.refusedTotal'), num(b.refused_total), undefined, b.refused_total > 0) : null,
      p?.resident_bytes !== undefined
        ? tile('process-memory', t('sources.serverMemory'), bytes(p.resident_bytes),
          t('sources.serverMemoryHint', {
            peak: bytes(p.peak_resident_bytes ?? p.resident_bytes),
            sqlite: bytes(p.sqlite_heap_bytes),
          }))
        : null,
    ));
}

// `withheld`: the caller may not read raw log text, so the server sent no samples.
function detailBody(s: IngestSource, withheld: boolean): HTMLElement {
  const samples = s.malformed_samples ?? [];
  return h('div', { class: 'grid-2 tight' },
    h('div', null,
      h('div', { class: 'label' }, t('sources.counters')),
      h('dl', { class: 'kv' },
        h('dt', null, t('sources.type')), h('dd', { class: 'mono' }, visible(s.type)),
        h('dt', null, t('sources.decoder')), h('dd', { class: 'mono' }, visible(s.decoder)),
        s.port ? [h('dt', null, t('sources.port')), h('dd', { class: 'mono' }, s.port)] : null,
        DETAIL.flatMap(([k, label]) => [
          h('dt', null, t(label)),
          h('dd', null, k === 'bytes' ? bytes(s.bytes ?? 0) : num(s[k] as number)),
        ]))),
    h('div', null,
      h('div', { class: 'label' }, t('sources.samplesTitle')),
      withheld
        ? h('p', { class: 'hint', testid: `source-samples-withheld-${s.name}` }, t('sources.samplesWithheld'))
        : samples.length
          ? h('ol', { class: 'samples', testid: `source-samples-${s.name}` }, samples.map((x) => h('li', { class: 'mono' }, visible(x))))
          : h('p', { class: 'hint' }, t('sources.noSamples'))),
  );
}
