// The audit trail: filters, newest-first pages (next_cursor), a record's before/after on click,
// chain verification, and export for the auditor.
import { type AuditRecord, type Page, type VerifyReport, get, query } from '../api';
import { h, replace } from '../dom';
import { localInputToUtc, localTime } from '../format';
import { t, tn } from '../i18n';
import type { PageContext } from '../main';
import { can } from '../state';
import { MessageArea, badge, button, emptyRow, field, form, input, loading, pageHeader, panel, select } from '../ui';

const PAGE_SIZE = 50;
const COLS = 8;

export async function renderAudit(content: HTMLElement, ctx: PageContext): Promise<void> {
  const messages = new MessageArea();
  const tbody = h('tbody', null, h('tr', null, h('td', { colspan: COLS }, loading())));
  const pager = h('div', { class: 'pager' });
  const verifyHolder = h('div');

  const actor = input('actor', { testid: 'f-actor' });
  const action = input('action', { testid: 'f-action', placeholder: t('audit.actionPlaceholder') });
  const object = input('object', { testid: 'f-object', placeholder: 'user:alice' });
  const result = select('result', [
    { value: '', label: t('audit.anyResult') },
    { value: 'success', label: t('audit.success') },
    { value: 'failure', label: t('audit.failure') },
  ]);
  result.setAttribute('data-testid', 'f-result');
  const since = input('since', { type: 'datetime-local', testid: 'f-since' });
  const until = input('until', { type: 'datetime-local', testid: 'f-until' });
  const q = input('q', { type: 'search', testid: 'f-q', placeholder: t('audit.searchPlaceholder') });

  // cursors[i] is the cursor of page i (page 0 has none).
  let cursors: (string | null)[] = [null];
  let pageIndex = 0;

  const filters = () => ({
    actor: actor.value.trim(),
    action: action.value.trim(),
    object: object.value.trim(),
    result: result.value,
    since: localInputToUtc(since.value),
    until: localInputToUtc(until.value),
    q: q.value.trim(),
  });

  const load = async () => {
    messages.clear();
    try {
      const page = await get<Page<AuditRecord>>(`/api/v1/audit/records${query({
        limit: PAGE_SIZE, cursor: cursors[pageIndex], ...filters(),
      })}`);
      if (!ctx.live()) return;
      const items = page.items ?? [];
      replace(tbody, items.length ? items.flatMap(rows) : emptyRow(COLS, 'audit.noRecords'));
      cursors = cursors.slice(0, pageIndex + 1);
      if (page.next_cursor) cursors.push(page.next_cursor);
      replace(pager,
        button(t('audit.newer'), async () => {
          pageIndex--;
          await load();
        }, { small: true, disabled: pageIndex === 0, testid: 'audit-newer' }),
        h('span', { class: 'pager-info' }, tn('audit.page', items.length, { n: pageIndex + 1, count: items.length })),
        button(t('audit.older'), async () => {
          pageIndex++;
          await load();
        }, { small: true, disabled: !page.next_cursor, testid: 'audit-older' }),
      );
    } catch (e) {
      replace(tbody);
      replace(pager);
      messages.error(e);
    }
  };

  const rows = (r: AuditRecord): HTMLTableRowElement[] => {
    const detailRow = h('tr', { class: 'detail-row', hidden: true },
      h('td', { colspan: COLS },
        h('div', { class: 'grid-2 tight' },
          h('div', null, h('div', { class: 'label' }, t('audit.before')), h('pre', { class: 'json' }, pretty(r.before))),
          h('div', null, h('div', { class: 'label' }, t('audit.after')), h('pre', { class: 'json' }, pretty(r.after))),
        )));
    const main = h('tr', {
      class: 'clickable',
      testid: `audit-row-${r.seq}`,
      title: t('audit.clickForDetail'),
      on: { click: () => (detailRow.hidden = !detailRow.hidden) },
    },
      h('td', { class: 'mono right' }, r.seq),
      h('td', { class: 'nowrap', title: r.time }, localTime(r.time)),
      h('td', null, r.actor),
      h('td', { class: 'mono' }, r.action),
      h('td', { class: 'mono' }, r.object),
      h('td', null, r.result === 'success' ? badge(t('audit.success'), 'ok') : r.result === 'failure' ? badge(t('audit.failure'), 'bad') : badge(r.result)),
      h('td', { class: 'mono' }, r.source_ip),
      h('td', { class: 'wrap' }, r.detail),
    );
    return [main, detailRow];
  };

  const verify = async () => {
    replace(verifyHolder, loading());
    try {
      const report = await get<VerifyReport>('/api/v1/audit/verify');
      if (!ctx.live()) return;
      replace(verifyHolder, verifyPanel(report));
    } catch (e) {
      replace(verifyHolder);
      messages.error(e);
    }
  };

  const exportLink = (format: 'jsonl' | 'csv', label: string) =>
    h('a', {
      class: 'btn btn-secondary',
      href: `/api/v1/audit/export${query({ format })}`,
      download: `vigil-audit.${format}`,
      testid: `export-${format}`,
    }, label);

  content.append(
    pageHeader(t('nav.audit'),
      can('audit.verify') ? button(t('audit.verify'), verify, { kind: 'primary', testid: 'audit-verify' }) : null,
      can('audit.export') ? exportLink('jsonl', t('audit.exportJsonl')) : null,
      can('audit.export') ? exportLink('csv', t('audit.exportCsv')) : null,
    ),
    verifyHolder,
    messages.el,
    panel(null,
      form(async () => {
        cursors = [null];
        pageIndex = 0;
        await load();
      }, { class: 'filters', testid: 'audit-filters' },
        field(t('audit.actor'), actor),
        field(t('audit.action'), action),
        field(t('audit.object'), object),
        field(t('audit.result'), result),
        field(t('audit.since'), since),
        field(t('audit.until'), until),
        field(t('audit.search'), q),
        h('div', { class: 'filter-actions' },
          button(t('audit.apply'), null, { kind: 'primary', type: 'submit', testid: 'audit-apply' }),
          button(t('audit.reset'), async () => {
            for (const el of [actor, action, object, since, until, q]) el.value = '';
            result.value = '';
            cursors = [null];
            pageIndex = 0;
            await load();
          }, { testid: 'audit-reset' })),
      ),
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table', testid: 'audit-table' },
          h('thead', null, h('tr', null,
            h('th', { class: 'right' }, t('audit.seq')),
            h('th', null, t('audit.time')),
            h('th', null, t('audit.actor')),
            h('th', null, t('audit.action')),
            h('th', null, t('audit.object')),
            h('th', null, t('audit.result')),
            h('th', null, t('audit.sourceIp')),
            h('th', null, t('audit.detail')),
          )),
          tbody)),
      pager,
    ),
  );
  await load();
}

function pretty(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

function verifyPanel(r: VerifyReport): HTMLElement {
  return panel(t('audit.verifyReport'),
    h('div', { class: 'verify-summary', testid: 'verify-report' },
      r.ok ? badge(t('audit.verifyOk'), 'ok', 'verify-ok') : badge(t('audit.verifyFailed'), 'bad', 'verify-failed'),
      h('dl', { class: 'kv inline' },
        h('dt', null, t('audit.recordsChecked')), h('dd', null, r.records_checked),
        h('dt', null, t('audit.lastSeq')), h('dd', null, r.last_seq),
        h('dt', null, t('audit.keyId')), h('dd', { class: 'mono' }, r.key_id),
      ),
    ),
    r.findings?.length
      ? h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, t('audit.findingKind')), h('th', null, t('audit.seq')), h('th', null, t('audit.findingMessage')))),
        h('tbody', null, r.findings.map((f) => h('tr', null, h('td', { class: 'mono' }, f.kind), h('td', { class: 'mono' }, f.seq), h('td', null, f.message)))))
      : h('p', { class: 'hint' }, t('audit.noFindings')),
    r.findings_omitted ? h('p', { class: 'hint' }, tn('audit.findingsOmitted', r.findings_omitted, { n: r.findings_omitted })) : null,
  );
}
