// Event search: a time range (presets or custom), field filters (f.<field>=<value>), text (q),
// a histogram of the matches drawn as SVG, the matching events newest first with "load more"
// (next_cursor), every field of an event on click (a click on a value filters on it), and the
// detections raised in the time range, each with the events it was raised on. The search lives in the address (#/events?range=1h&q=...),
// so a reload or a shared link runs it again.
import {
  ApiError, type Detection, type EventPage, type FieldValue, type Histogram, type Page, type StoredEvent, get,
} from '../api';
import { type Child, h, replace, svg } from '../dom';
import {
  isTimestamp, isoNs, localInputToUtc, localTime, num, secondsNs, span, timeNs, toLocalInput, visible, visibleText,
} from '../format';
import { type Key, t, tMaybe, tn } from '../i18n';
import type { PageContext } from '../main';
import { MessageArea, badge, button, emptyRow, field, form, input, loading, pageHeader, panel, select } from '../ui';

const PAGE_SIZE = 50;
const BUCKETS = 60;
const COLS = 5;
const DET_COLS = 5;
// A detection's events shown in its detail (the rest are listed by id).
const DET_EVENTS = 10;

const PRESETS = { '15m': 15 * 60, '1h': 3600, '24h': 86400, '7d': 7 * 86400 } as const;
type Preset = keyof typeof PRESETS;
type Range = Preset | 'custom';
type Tab = 'events' | 'detections';

interface Filter {
  field: string;
  value: string;
}

// A custom bound more precise than the form shows (a histogram bar's edge, to the nanosecond; a
// link's time with more than 3 fractional digits): searched as `iso` while its input still
// shows `input`.
interface Exact {
  input: string;
  iso: string;
}

interface SearchForm {
  range: Range;
  since: string; // datetime-local values, used with 'custom'
  until: string;
  exact: { since?: Exact; until?: Exact };
  q: string;
  filters: Filter[];
}

// One search as run: the resolved window and a copy of the filters, so "load more" pages through
// the same search even after the form was edited.
interface ActiveSearch {
  since: string;
  until: string;
  q: string;
  filters: Filter[];
}

// Kept for the session, so a visit to another page and back to #/events (no query) keeps the
// search. A query in the address takes precedence.
const saved: SearchForm = { range: '1h', since: '', until: '', exact: {}, q: '', filters: [] };
let savedTab: Tab = 'events';

// A link may carry no more filters than the server accepts in one search (kMaxWhereTerms); the
// rest are named as ignored rather than rendered as thousands of rows.
const LINK_MAX_FILTERS = 16;

interface Link {
  form: SearchForm;
  tab: Tab;
  ignored: string[]; // parameters whose values could not be used
}

const isTime = (v: string) => isTimestamp(v) && !Number.isNaN(Date.parse(v));

// The search in a hash such as #/events?range=custom&since=2026-01-01T08:00:00Z&q=x&f.host=web01
// &tab=detections, or null when it has no query (#/events). Values it cannot use (a bad time, an
// unknown preset) leave the page's defaults and are named in `ignored`; unknown parameters are
// skipped. A bad custom time drops the whole custom range rather than half of it.
function readLink(hash: string): Link | null {
  const at = hash.indexOf('?');
  if (at < 0) return null;
  const p = new URLSearchParams(hash.slice(at + 1));
  const form: SearchForm = { range: '1h', since: '', until: '', exact: {}, q: p.get('q') ?? '', filters: [] };
  const ignored = new Set<string>();
  const range = p.get('range');
  if (range !== null && Object.hasOwn(PRESETS, range)) {
    form.range = range as Preset;
  } else {
    if (range !== null && range !== 'custom') ignored.add('range');
    const since = p.get('since') ?? '';
    const until = p.get('until') ?? '';
    const bad = [since && !isTime(since) ? 'since' : '', until && !isTime(until) ? 'until' : ''].filter(Boolean);
    bad.forEach((name) => ignored.add(name));
    if (bad.length === 0 && (range === 'custom' || since || until)) {
      form.range = 'custom';
      form.since = since ? toLocalInput(new Date(since)) : '';
      form.until = until ? toLocalInput(new Date(until)) : '';
      if (/\.\d{4}/.test(since)) form.exact.since = { input: form.since, iso: isoNs(timeNs(since)!) };
      if (/\.\d{4}/.test(until)) form.exact.until = { input: form.until, iso: isoNs(timeNs(until)!) };
    }
  }
  for (const [key, value] of p) {
    if (!key.startsWith('f.')) continue;
    const name = key.slice(2).trim();
    if (!name || form.filters.length >= LINK_MAX_FILTERS) ignored.add(key);
    else form.filters.push({ field: name, value });
  }
  const tab = p.get('tab');
  if (tab !== null && tab !== 'events' && tab !== 'detections') ignored.add('tab');
  return { form, tab: tab === 'detections' ? 'detections' : 'events', ignored: [...ignored] };
}

// The query of the hash for a search as run: a preset stays a preset (it means "the last hour"
// whenever the link is opened), a custom range is its RFC 3339 UTC times.
function linkQuery(range: Range, s: ActiveSearch, tab: Tab): string {
  const p = new URLSearchParams({ range });
  const short = (iso: string) => iso.replace(/\.000Z$/, 'Z');
  if (range === 'custom') {
    if (s.since) p.set('since', short(s.since));
    if (s.until) p.set('until', short(s.until));
  }
  if (s.q) p.set('q', s.q);
  for (const f of s.filters) p.append(`f.${f.field}`, f.value);
  if (tab !== 'events') p.set('tab', tab);
  // A fragment may hold ':' as it is; the times stay readable.
  return p.toString().replace(/%3A/gi, ':');
}

// Presets leave `until` to the server ("now" by its clock), so a browser clock running behind
// never hides the newest events.
function resolve(f: SearchForm): ActiveSearch {
  const filters = f.filters.filter((x) => x.field.trim()).map((x) => ({ field: x.field.trim(), value: x.value }));
  const q = f.q.trim();
  if (f.range === 'custom') {
    const bound = (input: string, exact?: Exact) => (exact && exact.input === input ? exact.iso : localInputToUtc(input));
    return { since: bound(f.since, f.exact.since), until: bound(f.until, f.exact.until), q, filters };
  }
  return { since: new Date(Date.now() - PRESETS[f.range] * 1000).toISOString(), until: '', q, filters };
}

function params(s: ActiveSearch, extra: Record<string, string | number | null> = {}): string {
  const p = new URLSearchParams();
  if (s.since) p.set('since', s.since);
  if (s.until) p.set('until', s.until);
  if (s.q) p.set('q', s.q);
  for (const f of s.filters) p.append(`f.${f.field}`, f.value);
  for (const [k, v] of Object.entries(extra)) {
    if (v !== null && v !== '') p.set(k, String(v));
  }
  return `?${p.toString()}`;
}

const LEVEL_BADGE: Record<string, 'bad' | 'warn' | 'neutral'> = {
  critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral', informational: 'neutral',
};

// The fields as the store gives them (dotted names nested, a repeated name's values in an
// array) back as one entry per dotted name, in the order the names first come, each with its
// values as the text a filter on it matches (null for a JSON null).
function flattenFields(fields: StoredEvent['fields']): [string, (string | null)[]][] {
  const out = new Map<string, (string | null)[]>();
  const walk = (name: string, v: FieldValue | undefined) => {
    if (v === undefined) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(name, x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(`${name}.${k}`, x);
    } else {
      const list = out.get(name) ?? [];
      list.push(v === null ? null : String(v));
      out.set(name, list);
    }
  };
  if (fields && typeof fields === 'object') {
    for (const [k, v] of Object.entries(fields)) walk(k, v);
  }
  return [...out];
}

function logsourceText(e: StoredEvent): string {
  const ls = e.logsource ?? { product: '', service: '', categories: [] };
  return [ls.product, ls.service, ...(ls.categories ?? [])].filter(Boolean).join(' / ');
}

export async function renderEvents(content: HTMLElement, ctx: PageContext): Promise<void> {
  const messages = new MessageArea();
  const linkMessages = new MessageArea();
  const link = readLink(location.hash);
  if (link) {
    Object.assign(saved, link.form);
    savedTab = link.tab;
    if (link.ignored.length) {
      // A few names are enough to tell what was wrong; a crafted link may carry thousands.
      const names = visibleText(link.ignored.slice(0, 10).join(', ')) + (link.ignored.length > 10 ? ', …' : '');
      linkMessages.show('warning', t('events.linkIgnored', { params: names }), 'ev-link-ignored');
    }
  }
  let active: ActiveSearch = resolve(saved);
  let activeRange: Range = saved.range;
  let searchSeq = 0;
  let detectionsFor: ActiveSearch | null = null;

  // ---- the form ----------------------------------------------------------------------------
  const range = select('range', [
    { value: '15m', label: t('events.range.15m') },
    { value: '1h', label: t('events.range.1h') },
    { value: '24h', label: t('events.range.24h') },
    { value: '7d', label: t('events.range.7d') },
    { value: 'custom', label: t('events.range.custom') },
  ], saved.range);
  range.setAttribute('data-testid', 'ev-range');
  // step 'any': a bar's edges are shown to the millisecond.
  const since = input('since', { type: 'datetime-local', step: 'any', testid: 'ev-since', value: saved.since });
  const until = input('until', { type: 'datetime-local', step: 'any', testid: 'ev-until', value: saved.until });
  const q = input('q', { type: 'search', testid: 'ev-q', placeholder: t('events.textPlaceholder'), value: saved.q });
  const qField = field(t('events.text'), q);
  qField.classList.add('field-wide');
  const sinceField = field(t('events.since'), since);
  const untilField = field(t('events.until'), until);
  const showCustom = () => {
    sinceField.hidden = saved.range !== 'custom';
    untilField.hidden = saved.range !== 'custom';
  };
  showCustom();
  since.addEventListener('input', () => (saved.since = since.value));
  until.addEventListener('input', () => (saved.until = until.value));
  q.addEventListener('input', () => (saved.q = q.value));
  range.addEventListener('change', () => {
    const previous = active;
    saved.range = range.value as Range;
    showCustom();
    if (saved.range === 'custom') {
      // Start from the window just searched.
      if (!since.value) since.value = saved.since = toLocalInput(new Date(previous.since || Date.now() - 3600_000));
      if (!until.value) until.value = saved.until = toLocalInput(new Date(previous.until || Date.now()));
      since.focus();
    } else {
      void run();
    }
  });

  const fieldNames = h('datalist', { id: 'ev-field-names' });
  const knownFields = new Set<string>(['host', 'source', 'product', 'service', 'category']);
  const refreshFieldNames = () =>
    replace(fieldNames, [...knownFields].sort().map((n) => h('option', { value: n })));
  refreshFieldNames();

  const filterRows = h('div', { class: 'filter-rows', testid: 'ev-filters' });
  const renderFilters = () => {
    replace(filterRows, saved.filters.map((f, i) => {
      const name = input(`field-${i}`, {
        class: 'mono', value: f.field, list: 'ev-field-names', placeholder: t('events.field'),
        testid: `ev-filter-field-${i}`, aria: { label: t('events.field') },
      });
      const value = input(`value-${i}`, {
        class: 'mono', value: f.value, placeholder: t('events.value'),
        testid: `ev-filter-value-${i}`, aria: { label: t('events.value') },
      });
      name.addEventListener('input', () => (f.field = name.value));
      value.addEventListener('input', () => (f.value = value.value));
      return h('div', { class: 'filter-row' },
        name, h('span', { class: 'filter-eq' }, '='), value,
        button('×', () => {
          saved.filters.splice(i, 1);
          renderFilters();
        }, { small: true, title: t('events.removeFilter'), testid: `ev-filter-remove-${i}` }));
    }));
  };
  renderFilters();

  // A click on a value: filter on it (replacing another value of the same field) and search.
  const addFilter = async (name: string, value: string) => {
    const same = saved.filters.find((f) => f.field.trim() === name);
    if (same) same.value = value;
    else saved.filters.push({ field: name, value });
    renderFilters();
    await run();
  };

  // ---- histogram ---------------------------------------------------------------------------
  const histBody = h('div', { class: 'histogram', testid: 'ev-histogram' });
  const drawHistogram = (hist: Histogram) => {
    const counts = hist.counts ?? [];
    // Bar i counts [since + i·bucket, since + (i + 1)·bucket), in nanoseconds: a bucket need not
    // be a whole number of milliseconds.
    const startNs = timeNs(hist.since);
    const stepNs = secondsNs(hist.bucket_seconds);
    const edge = (i: number) => (startNs !== null && stepNs !== null ? startNs + BigInt(i) * stepNs : null);
    const dateOf = (ns: bigint | null) => new Date(ns === null ? Date.parse(hist.since) : Number(ns / 1_000_000n));
    const max = Math.max(1, ...counts);
    const W = 10;
    const H = 100;
    const chart = svg('svg', {
      viewBox: `0 0 ${counts.length * W} ${H}`,
      preserveAspectRatio: 'none',
      class: 'hist-svg',
      role: 'img',
      'aria-label': t('events.histogram'),
    });
    counts.forEach((n, i) => {
      const fromNs = edge(i);
      const toNs = edge(i + 1);
      const from = dateOf(fromNs);
      const to = dateOf(toNs);
      const height = n > 0 ? Math.max(2, (n / max) * H) : 0;
      // A full-height slot to hover and click, and the bar itself.
      const slot = svg('g', { class: n > 0 ? 'hist-slot' : 'hist-slot empty' });
      slot.appendChild(svg('rect', { class: 'hist-hit', x: String(i * W), y: '0', width: String(W), height: String(H) }));
      slot.appendChild(svg('rect', {
        class: 'hist-bar',
        x: String(i * W + 1),
        y: String(H - height),
        width: String(W - 2),
        height: String(height),
        'data-count': String(n),
      }));
      const title = svg('title', {});
      title.textContent = tn('events.barTitle', n, { from: localTime(from.toISOString()), to: localTime(to.toISOString()), n: num(n) });
      slot.appendChild(title);
      if (n > 0 && fromNs !== null && toNs !== null) {
        // The bar's own edges: the inputs show them to the millisecond, the search sends them to
        // the nanosecond.
        slot.addEventListener('click', () => {
          saved.range = 'custom';
          range.value = 'custom';
          since.value = saved.since = toLocalInput(from);
          until.value = saved.until = toLocalInput(to);
          saved.exact = {
            since: { input: saved.since, iso: isoNs(fromNs) },
            until: { input: saved.until, iso: isoNs(toNs) },
          };
          showCustom();
          void run();
        });
      }
      chart.appendChild(slot);
    });
    const end = dateOf(edge(counts.length));
    replace(histBody,
      h('div', { class: 'hist-head' },
        h('strong', { testid: 'ev-total' }, tn('events.total', Number(hist.total), { n: num(hist.total) })),
        h('span', { class: 'hint' }, t('events.bucket', { size: span(Number(hist.bucket_seconds)) })),
        h('span', { class: 'hint' }, t('events.max', { n: num(Math.max(0, ...counts)) })),
        hist.total > 0 ? h('span', { class: 'hint' }, t('events.zoomHint')) : null),
      chart,
      h('div', { class: 'hist-axis' },
        h('span', { title: hist.since }, localTime(hist.since)),
        h('span', { title: end.toISOString() }, localTime(end.toISOString()))),
    );
  };

  // ---- events ------------------------------------------------------------------------------
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  let shown = 0;
  let scanned = 0;

  // A value to click into a filter: the dotted name and the exact text; shown with its hidden
  // characters marked, and "" for the empty string.
  const valueButton = (name: string, value: string | null): Child =>
    value === null
      ? h('span', { class: 'hint', testid: `ev-null-${name}` }, 'null')
      : h('button', {
        type: 'button',
        class: 'value-link',
        title: t('events.addAsFilter'),
        testid: `ev-value-${name}`,
        on: { click: () => void addFilter(name, value) },
      }, value === '' ? '""' : visible(value));

  const detailOf = (e: StoredEvent): HTMLElement => {
    const fields = flattenFields(e.fields);
    // The event's own time when it is not the one searched by (implausible: the receive time
    // is used instead).
    const ownTime = typeof e.event_time === 'string' && e.event_time !== e.time ? e.event_time : null;
    const ls = e.logsource ?? { product: '', service: '', categories: [] };
    const meta: [string, Key, string[]][] = [
      ['source', 'events.source', [e.source]],
      ['host', 'events.host', [e.host]],
      ['product', 'events.product', [ls.product]],
      ['service', 'events.service', [ls.service]],
      ['category', 'events.category', ls.categories ?? []],
    ];
    return h('div', { class: 'event-detail' },
      h('dl', { class: 'kv' },
        h('dt', null, t('events.id')), h('dd', { class: 'mono' }, e.id),
        h('dt', null, t('events.time')), h('dd', { title: e.time, testid: 'ev-time' }, localTime(e.time)),
        ownTime
          ? [h('dt', null, t('events.eventTime')),
            h('dd', { testid: 'ev-event-time' },
              h('span', { title: ownTime }, localTime(ownTime)), ' ',
              h('span', { class: 'hint' }, t('events.eventTimeUnused')))]
          : null,
        h('dt', null, t('events.received')), h('dd', { title: e.received }, localTime(e.received)),
        meta.filter(([, , v]) => v.some(Boolean)).flatMap(([name, label, v]) => [
          h('dt', null, t(label)),
          h('dd', null, v.filter(Boolean).map((x) => valueButton(name, x))),
        ]),
      ),
      h('div', { class: 'label' }, t('events.fields')),
      fields.length
        ? h('table', { class: 'table fields-table', testid: 'ev-fields' },
          h('tbody', null, fields.map(([name, v]) => h('tr', null,
            h('td', { class: 'mono field-name' }, visible(name)),
            h('td', { class: 'mono' }, v.map((x) => valueButton(name, x)))))))
        : h('p', { class: 'hint' }, t('events.noFields')),
      h('div', { class: 'label' }, t('events.message')),
      h('pre', { class: 'json', testid: 'ev-message' }, visible(e.message)),
    );
  };

  const rows = (e: StoredEvent): HTMLTableRowElement[] => {
    const detail = h('tr', { class: 'detail-row', hidden: true, testid: 'ev-detail' },
      h('td', { colspan: COLS }));
    const main = h('tr', {
      class: 'clickable',
      testid: 'ev-row',
      title: t('events.clickForDetail'),
      on: {
        click: () => {
          // Built on first open: most rows are never opened.
          if (!detail.firstElementChild?.firstChild) replace(detail.firstElementChild!, detailOf(e));
          detail.hidden = !detail.hidden;
        },
      },
    },
      h('td', { class: 'nowrap', title: e.time }, localTime(e.time)),
      h('td', { class: 'nowrap' }, visible(e.source)),
      h('td', { class: 'nowrap' }, visible(e.host)),
      h('td', { class: 'nowrap' }, visible(logsourceText(e))),
      h('td', { class: 'message-cell' }, visible(e.message)),
    );
    for (const [name] of flattenFields(e.fields)) knownFields.add(name);
    return [main, detail];
  };

  const showPage = (page: EventPage, append: boolean) => {
    const items = page.items ?? [];
    if (!append) replace(tbody);
    shown += items.length;
    scanned += Number(page.scanned ?? 0);
    if (shown === 0) replace(tbody, emptyRow(COLS, 'events.none'));
    else tbody.append(...items.flatMap(rows));
    refreshFieldNames();
    replace(pager,
      h('span', { class: 'pager-info', testid: 'ev-count' }, tn('events.shown', shown, { n: num(shown), scanned: num(scanned) })),
      page.next_cursor
        ? button(t('events.loadMore'), async () => {
          const search = active;
          const seq = searchSeq;
          try {
            const next = await get<EventPage>(`/api/v1/events${params(search, { limit: PAGE_SIZE, cursor: page.next_cursor })}`,
              { exactNumbers: true });
            if (ctx.live() && seq === searchSeq) showPage(next, true);
          } catch (e) {
            if (ctx.live()) messages.error(e);
          }
        }, { testid: 'ev-more' })
        : null,
    );
  };

  // ---- detections --------------------------------------------------------------------------
  const detBody = h('tbody');
  const detPager = h('div', { class: 'pager' });
  // The first DET_EVENTS events of a detection, read by id together (GET /api/v1/events/{id},
  // the detection's time naming the partition to read first); each opens to every field. An id
  // no longer stored (404) is marked; another error is shown and marks its id.
  const detEvents = async (d: Detection, into: HTMLElement) => {
    const ids = d.event_ids ?? [];
    replace(into, loading());
    const shown = ids.slice(0, DET_EVENTS);
    const results = await Promise.allSettled(shown.map((id) =>
      get<StoredEvent>(`/api/v1/events/${encodeURIComponent(id)}?time=${encodeURIComponent(d.time)}`, { exactNumbers: true })));
    if (!ctx.live()) return;
    const rowsOut = results.map((r, i) => {
      if (r.status === 'rejected') {
        const gone = r.reason instanceof ApiError && r.reason.status === 404;
        if (!gone) messages.error(r.reason);
        return h('div', { class: 'det-event hint', testid: 'det-event-missing' },
          h('span', { class: 'mono' }, shown[i]), ' ', gone ? t('detections.eventMissing') : '—');
      }
      const e = r.value;
      const detail = h('div', { hidden: true, testid: 'det-event-detail' });
      return h('div', { class: 'det-event' },
        h('div', {
          class: 'clickable det-event-line',
          testid: 'det-event',
          title: t('events.clickForDetail'),
          on: {
            click: () => {
              if (!detail.firstChild) replace(detail, detailOf(e));
              detail.hidden = !detail.hidden;
            },
          },
        },
          h('span', { class: 'nowrap', title: e.time }, localTime(e.time)), ' ',
          h('span', { class: 'nowrap' }, visible(e.host)), ' ',
          h('span', { class: 'mono' }, visible(e.message))),
        detail);
    });
    const rest = ids.slice(DET_EVENTS);
    replace(into,
      ids.length ? rowsOut : h('p', { class: 'hint' }, '—'),
      rest.length
        ? h('div', { class: 'hint' }, t('detections.moreEvents', { shown: num(DET_EVENTS), n: num(ids.length) }),
          h('div', { class: 'mono' }, rest.map((id) => h('div', null, id))))
        : null);
  };

  const detRows = (d: Detection): HTMLTableRowElement[] => {
    const events = h('dd', { testid: 'det-events' });
    let loaded = false;
    const detail = h('tr', { class: 'detail-row', hidden: true },
      h('td', { colspan: DET_COLS },
        h('dl', { class: 'kv' },
          h('dt', null, t('detections.id')), h('dd', { class: 'mono' }, d.id),
          h('dt', null, t('detections.ruleId')), h('dd', { class: 'mono' }, visible(d.rule_id)),
          h('dt', null, t('detections.created')), h('dd', { title: d.created }, localTime(d.created)),
          h('dt', null, t('detections.eventIds')), events)));
    const main = h('tr', {
      class: 'clickable',
      testid: 'det-row',
      on: {
        click: () => {
          detail.hidden = !detail.hidden;
          if (detail.hidden || loaded) return;
          loaded = true;
          detEvents(d, events).catch((err: unknown) => {
            loaded = false;
            if (ctx.live()) {
              replace(events, '—');
              messages.error(err);
            }
          });
        },
      },
    },
      h('td', { class: 'nowrap', title: d.time }, localTime(d.time)),
      h('td', null, badge(tMaybe(`level.${d.level}`, d.level), LEVEL_BADGE[d.level] ?? 'neutral')),
      h('td', null, visible(d.rule_title)),
      h('td', null, tMaybe(`detections.status.${d.status}`, d.status)),
      h('td', { class: 'right' }, num(d.event_ids?.length ?? 0)),
    );
    return [main, detail];
  };
  const loadDetections = async (cursor: string | null) => {
    const search = active;
    detectionsFor = search;
    if (!cursor) replace(detBody, h('tr', null, h('td', { colspan: DET_COLS }, loading())));
    try {
      const page = await get<Page<Detection>>(`/api/v1/detections${params(
        { since: search.since, until: '', q: '', filters: [] }, { limit: PAGE_SIZE, cursor })}`);
      if (!ctx.live() || detectionsFor !== search) return;
      const items = page.items ?? [];
      if (!cursor) replace(detBody, items.length ? items.flatMap(detRows) : emptyRow(DET_COLS, 'detections.none'));
      else detBody.append(...items.flatMap(detRows));
      replace(detPager, page.next_cursor
        ? button(t('events.loadMore'), () => loadDetections(page.next_cursor), { testid: 'det-more' })
        : null);
    } catch (e) {
      if (!ctx.live()) return;
      replace(detBody);
      messages.error(e);
    }
  };

  // ---- tabs --------------------------------------------------------------------------------
  const eventsPanel = panel(null,
    h('div', { class: 'table-scroll' },
      h('table', { class: 'table events-table', testid: 'ev-table' },
        h('thead', null, h('tr', null,
          h('th', null, t('events.time')),
          h('th', null, t('events.source')),
          h('th', null, t('events.host')),
          h('th', null, t('events.logsource')),
          h('th', null, t('events.message')))),
        tbody)),
    pager);
  const detectionsPanel = panel(null,
    h('p', { class: 'hint' }, t('detections.intro')),
    h('div', { class: 'table-scroll' },
      h('table', { class: 'table', testid: 'det-table' },
        h('thead', null, h('tr', null,
          h('th', null, t('detections.time')),
          h('th', null, t('detections.level')),
          h('th', null, t('detections.rule')),
          h('th', null, t('detections.status')),
          h('th', { class: 'right' }, t('detections.events')))),
        detBody)),
    detPager);
  const tabButton = (tab: Tab, label: string) =>
    h('button', {
      type: 'button',
      role: 'tab',
      class: 'tab',
      testid: `tab-${tab}`,
      on: {
        click: () => {
          selectTab(tab);
          // The same search on another tab: not a new history entry.
          showLink(linkQuery(activeRange, active, tab), 'replace');
        },
      },
    }, label);
  const tabs = { events: tabButton('events', t('events.tabEvents')), detections: tabButton('detections', t('events.tabDetections')) };
  const selectTab = (tab: Tab) => {
    savedTab = tab;
    for (const [name, b] of Object.entries(tabs)) {
      b.classList.toggle('active', name === tab);
      b.setAttribute('aria-selected', String(name === tab));
    }
    eventsPanel.hidden = tab !== 'events';
    detectionsPanel.hidden = tab !== 'detections';
    if (tab === 'detections' && searchSeq > 0 && detectionsFor !== active) void loadDetections(null);
  };

  // ---- running a search --------------------------------------------------------------------
  // pushState and replaceState fire no hashchange, so the router does not render the page again.
  const showLink = (query: string, mode: 'push' | 'replace') => {
    const url = `#/events?${query}`;
    if (!ctx.live() || location.hash === url) return;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  };

  // A search the user starts is a new history entry (Back returns to the previous search); the
  // one the page runs on opening only writes its search into the current entry.
  const run = async (mode: 'push' | 'replace' = 'push') => {
    messages.clear();
    if (mode === 'push') linkMessages.clear();
    active = resolve(saved);
    activeRange = saved.range;
    showLink(linkQuery(activeRange, active, savedTab), mode);
    const search = active;
    const seq = ++searchSeq;
    shown = 0;
    scanned = 0;
    replace(histBody, loading());
    replace(tbody, h('tr', null, h('td', { colspan: COLS }, loading())));
    replace(pager);
    try {
      const [hist, page] = await Promise.all([
        get<Histogram>(`/api/v1/events/histogram${params(search, { buckets: BUCKETS })}`),
        get<EventPage>(`/api/v1/events${params(search, { limit: PAGE_SIZE })}`, { exactNumbers: true }),
      ]);
      if (!ctx.live() || seq !== searchSeq) return;
      drawHistogram(hist);
      showPage(page, false);
    } catch (e) {
      if (!ctx.live() || seq !== searchSeq) return;
      replace(histBody);
      replace(tbody, emptyRow(COLS, 'events.none'));
      messages.error(e);
      return;
    }
    if (savedTab === 'detections') void loadDetections(null);
  };

  content.append(
    pageHeader(t('nav.events')),
    panel(null,
      form(() => run(), { class: 'filters events-filters', testid: 'ev-form' },
        field(t('events.range'), range),
        sinceField,
        untilField,
        qField,
        h('div', { class: 'filter-actions' },
          button(t('events.search'), null, { kind: 'primary', type: 'submit', testid: 'ev-search' }),
          button(t('events.clear'), async () => {
            saved.range = '1h';
            saved.since = saved.until = saved.q = '';
            saved.exact = {};
            saved.filters = [];
            range.value = '1h';
            since.value = until.value = q.value = '';
            showCustom();
            renderFilters();
            await run();
          }, { testid: 'ev-clear' })),
        h('div', { class: 'field filters-fields' },
          h('div', { class: 'label' }, t('events.fieldFilters')),
          filterRows,
          h('div', { class: 'filter-add' },
            button(t('events.addFilter'), () => {
              saved.filters.push({ field: '', value: '' });
              renderFilters();
              filterRows.querySelector<HTMLInputElement>(`[data-testid="ev-filter-field-${saved.filters.length - 1}"]`)?.focus();
            }, { small: true, testid: 'ev-filter-add' }),
            h('span', { class: 'hint' }, t('events.filterHint')))),
        fieldNames,
      )),
    linkMessages.el,
    messages.el,
    panel(t('events.histogram'), histBody),
    h('div', { class: 'tabs', role: 'tablist' }, tabs.events, tabs.detections),
    eventsPanel,
    detectionsPanel,
  );
  selectTab(savedTab);
  await run('replace');
}
