// API tokens: the caller's own (everyone's with tokens.manage_all), create with name, scopes
// and expiry (the token is shown once), revoke.
import { type TokenInfo, del, get, post, query } from '../api';
import { h, replace } from '../dom';
import { localTime } from '../format';
import { t } from '../i18n';
import type { PageContext } from '../main';
import { can, state } from '../state';
import {
  MessageArea, badge, button, confirmDialog, emptyRow, field, input, loading, openDialog,
  pageHeader, panel, showSecretOnce,
} from '../ui';

export async function renderTokens(content: HTMLElement, ctx: PageContext): Promise<void> {
  const messages = new MessageArea();
  const canAll = can('tokens.manage_all');
  let showAll = false;
  const cols = () => (showAll ? 7 : 6);
  const tbody = h('tbody', null, h('tr', null, h('td', { colspan: cols() }, loading())));
  const ownerHead = h('th', { hidden: true }, t('tokens.owner'));

  const reload = async () => {
    try {
      const answer = await get<{ items: TokenInfo[] }>(`/api/v1/tokens${query({ all: showAll })}`);
      if (!ctx.live()) return;
      ownerHead.hidden = !showAll;
      const items = answer.items ?? [];
      replace(tbody, items.length ? items.map(row) : emptyRow(cols(), 'tokens.none'));
    } catch (e) {
      replace(tbody);
      messages.error(e);
    }
  };

  const status = (tok: TokenInfo): HTMLElement => {
    if (tok.revoked_at) return badge(t('tokens.revoked'), 'bad');
    if (tok.expires_at && new Date(tok.expires_at).getTime() < Date.now()) return badge(t('tokens.expired'), 'warn');
    return badge(t('tokens.active'), 'ok');
  };

  const row = (tok: TokenInfo) => h('tr', { testid: `token-row-${tok.name}`, class: tok.revoked_at ? 'muted' : undefined },
    h('td', null, h('strong', null, tok.name), h('div', { class: 'hint mono' }, tok.id)),
    showAll ? h('td', null, tok.owner) : null,
    h('td', { class: 'perm-list' }, (tok.scopes ?? []).map((s) => h('code', { class: 'perm' }, s))),
    h('td', { class: 'nowrap' }, localTime(tok.created_at)),
    h('td', { class: 'nowrap' }, localTime(tok.expires_at)),
    h('td', null, status(tok), tok.revoked_at ? h('div', { class: 'hint' }, localTime(tok.revoked_at)) : null),
    h('td', null, tok.revoked_at ? '' : button(t('tokens.revoke'), async () => {
      if (!(await confirmDialog(t('tokens.confirmRevoke', { name: tok.name }), t('tokens.revoke'), true))) return;
      messages.clear();
      try {
        await del(`/api/v1/tokens/${encodeURIComponent(tok.id)}`);
        messages.show('success', t('tokens.revokedDone', { name: tok.name }), 'tokens-done');
        await reload();
      } catch (e) {
        messages.error(e);
      }
    }, { small: true, kind: 'danger', testid: `revoke-${tok.name}` })),
  );

  const create = () => {
    const dlgMessages = new MessageArea();
    const name = input('name', { required: true, maxlength: 64, testid: 'token-name', autocomplete: 'off' });
    const days = input('expires_days', { type: 'number', min: 1, max: 365, value: '90', testid: 'token-days' });
    const perms = (state.me?.permissions ?? []).filter((p) => p !== 'tokens.manage_own' && p !== 'tokens.manage_all');
    const boxes = perms.map((p) => {
      const box = h('input', { type: 'checkbox', name: 'scope', value: p, testid: `scope-${p}` });
      return { p, box, el: h('label', { class: 'check' }, box, h('code', { class: 'perm' }, p)) };
    });
    let created: { token: string; info: TokenInfo } | null = null;
    return openDialog(t('tokens.create'), [
      dlgMessages.el,
      h('div', { class: 'form' },
        field(t('tokens.name'), name, t('tokens.nameHint')),
        h('div', { class: 'field' },
          h('div', { class: 'label' }, t('tokens.scopes')),
          h('div', { class: 'check-grid' }, boxes.map((b) => b.el)),
          h('div', { class: 'hint' }, t('tokens.scopesHint'))),
        field(t('tokens.expiresDays'), days),
      ),
    ], [
      { label: t('common.cancel'), testid: 'dialog-cancel' },
      {
        label: t('tokens.createSubmit'),
        kind: 'primary',
        testid: 'token-submit',
        onClick: async () => {
          dlgMessages.clear();
          const scopes = boxes.filter((b) => b.box.checked).map((b) => b.p);
          if (!name.value.trim()) {
            dlgMessages.show('error', t('tokens.nameRequired'));
            return false;
          }
          if (scopes.length === 0) {
            dlgMessages.show('error', t('tokens.scopesRequired'));
            return false;
          }
          try {
            created = await post<{ token: string; info: TokenInfo }>('/api/v1/tokens', {
              name: name.value.trim(),
              scopes,
              expires_days: Number(days.value) || 90,
            });
            return true;
          } catch (e) {
            dlgMessages.error(e);
            return false;
          }
        },
      },
    ], 'create-token-dialog').then(async () => {
      if (!created) return;
      const c = created as { token: string; info: TokenInfo };
      await showSecretOnce(t('tokens.createdTitle'), t('tokens.createdIntro'), c.token, 'new-token');
      messages.show('success', t('tokens.created', { name: c.info?.name ?? '' }), 'tokens-done');
      await reload();
    });
  };

  const allToggle = canAll
    ? h('label', { class: 'check inline' },
      h('input', {
        type: 'checkbox',
        testid: 'tokens-all',
        on: {
          change: (e) => {
            showAll = (e.target as HTMLInputElement).checked;
            void reload();
          },
        },
      }),
      t('tokens.showAll'))
    : null;

  content.append(
    pageHeader(t('nav.tokens'), allToggle, button(t('tokens.create'), create, { kind: 'primary', testid: 'create-token' })),
    h('p', { class: 'page-intro' }, t('tokens.intro')),
    messages.el,
    panel(null, h('table', { class: 'table', testid: 'tokens-table' },
      h('thead', null, h('tr', null,
        h('th', null, t('tokens.name')),
        ownerHead,
        h('th', null, t('tokens.scopes')),
        h('th', null, t('tokens.createdAt')),
        h('th', null, t('tokens.expires')),
        h('th', null, t('tokens.status')),
        h('th', null, ''),
      )),
      tbody)),
  );
  await reload();
}
