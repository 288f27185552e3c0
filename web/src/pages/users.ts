// Users and roles: the user list with the administrator's actions (create, change role,
// disable/enable, reset password, reset MFA) and the role/permission matrix.
import { type RolesAnswer, type User, get, patch, post, put } from '../api';
import { h, replace } from '../dom';
import { t, tMaybe } from '../i18n';
import { localTime } from '../format';
import type { PageContext } from '../main';
import { can, state } from '../state';
import {
  MessageArea, badge, button, confirmDialog, emptyRow, field, input, loading, openDialog,
  pageHeader, panel, select, showSecretOnce,
} from '../ui';

const KNOWN_ROLES = ['administrator', 'security_manager', 'analyst', 'responder', 'auditor', 'viewer'];

const roleLabel = (role: string) => tMaybe(`role.${role}`, role);

export async function renderUsers(content: HTMLElement, ctx: PageContext): Promise<void> {
  const messages = new MessageArea();
  const tableBody = h('tbody', null, h('tr', null, h('td', { colspan: 7 }, loading())));
  const matrixHolder = h('div', null, loading());
  let roleNames = KNOWN_ROLES;

  const canWrite = can('users.write');
  const canAssign = can('roles.assign');

  const reload = async () => {
    try {
      const answer = await get<{ items?: User[]; users?: User[] }>('/api/v1/users');
      if (!ctx.live()) return;
      const users = answer.items ?? answer.users ?? [];
      replace(tableBody, users.length ? users.map(row) : emptyRow(7));
    } catch (e) {
      replace(tableBody);
      messages.error(e);
    }
  };

  const act = async (what: () => Promise<unknown>, done: string) => {
    messages.clear();
    try {
      await what();
      messages.show('success', done, 'users-done');
      await reload();
    } catch (e) {
      messages.error(e);
    }
  };

  const row = (u: User): HTMLTableRowElement => {
    const self = u.username === state.me?.username;
    let roleCell: HTMLElement;
    if (canAssign && !self) {
      const s = select('role', roleNames.map((r) => ({ value: r, label: roleLabel(r) })), u.role);
      s.classList.add('compact');
      s.setAttribute('aria-label', t('users.changeRole'));
      s.setAttribute('data-testid', `role-${u.username}`);
      s.addEventListener('change', async () => {
        const next = s.value;
        if (!(await confirmDialog(t('users.confirmRole', { user: u.username, role: roleLabel(next) }), t('users.changeRole')))) {
          s.value = u.role;
          return;
        }
        await act(() => put(`/api/v1/users/${encodeURIComponent(String(u.id))}/role`, { role: next }),
          t('users.roleChanged', { user: u.username, role: roleLabel(next) }));
      });
      roleCell = s;
    } else {
      roleCell = h('span', null, roleLabel(u.role));
    }
    const id = encodeURIComponent(String(u.id));
    const actions = h('div', { class: 'row-actions' });
    if (canWrite && !self) {
      actions.append(
        button(u.disabled ? t('users.enable') : t('users.disable'), async () => {
          const text = u.disabled ? t('users.confirmEnable', { user: u.username }) : t('users.confirmDisable', { user: u.username });
          if (!(await confirmDialog(text, u.disabled ? t('users.enable') : t('users.disable'), !u.disabled))) return;
          await act(() => patch(`/api/v1/users/${id}`, { disabled: !u.disabled }),
            u.disabled ? t('users.enabled', { user: u.username }) : t('users.disabled', { user: u.username }));
        }, { small: true, testid: `toggle-${u.username}` }),
        button(t('users.resetPassword'), async () => {
          if (!(await confirmDialog(t('users.confirmResetPassword', { user: u.username }), t('users.resetPassword'), true))) return;
          messages.clear();
          try {
            const answer = await post<{ one_time_password: string }>(`/api/v1/users/${id}/reset-password`);
            await showSecretOnce(t('users.otpTitle'), t('users.otpIntro', { user: u.username }), answer.one_time_password, 'user-otp');
            await reload();
          } catch (e) {
            messages.error(e);
          }
        }, { small: true, testid: `reset-pw-${u.username}` }),
        button(t('users.resetMfa'), async () => {
          if (!(await confirmDialog(t('users.confirmResetMfa', { user: u.username }), t('users.resetMfa'), true))) return;
          await act(() => post(`/api/v1/users/${id}/reset-mfa`), t('users.mfaReset', { user: u.username }));
        }, { small: true, testid: `reset-mfa-${u.username}`, disabled: !u.mfa_enrolled }),
      );
    }
    return h('tr', { testid: `user-row-${u.username}`, class: u.disabled ? 'muted' : undefined },
      h('td', null, h('strong', null, u.username), self ? h('span', { class: 'you' }, t('users.you')) : null),
      h('td', null, u.display_name || ''),
      h('td', null, roleCell),
      h('td', null, u.mfa_enrolled ? badge(t('mfa.enabled'), 'ok') : badge(t('mfa.notEnabled'), 'neutral')),
      h('td', null,
        u.disabled ? badge(t('users.statusDisabled'), 'bad') : badge(t('users.statusActive'), 'ok'),
        u.must_change_password ? badge(t('users.mustChange'), 'warn') : null),
      h('td', { class: 'nowrap', title: u.created_at ?? '' }, localTime(u.created_at)),
      h('td', null, actions),
    );
  };

  const createUser = () => {
    const dlgMessages = new MessageArea();
    const username = input('username', { required: true, autocomplete: 'off', testid: 'new-username', maxlength: 64 });
    const displayName = input('display_name', { autocomplete: 'off', testid: 'new-display-name', maxlength: 128 });
    const role = select('role', roleNames.map((r) => ({ value: r, label: roleLabel(r) })), 'analyst');
    role.setAttribute('data-testid', 'new-role');
    let created: { user: User; one_time_password: string } | null = null;
    return openDialog(t('users.create'), [
      dlgMessages.el,
      h('div', { class: 'form' },
        field(t('users.username'), username, t('users.usernameHint')),
        field(t('users.displayName'), displayName),
        field(t('users.role'), role),
      ),
    ], [
      { label: t('common.cancel'), testid: 'dialog-cancel' },
      {
        label: t('users.createSubmit'),
        kind: 'primary',
        testid: 'new-user-submit',
        onClick: async () => {
          dlgMessages.clear();
          if (!username.value.trim()) {
            dlgMessages.show('error', t('users.usernameRequired'));
            return false;
          }
          try {
            const body: Record<string, string> = { username: username.value.trim(), role: role.value };
            if (displayName.value.trim()) body.display_name = displayName.value.trim();
            created = await post<{ user: User; one_time_password: string }>('/api/v1/users', body);
            return true;
          } catch (e) {
            dlgMessages.error(e);
            return false;
          }
        },
      },
    ], 'create-user-dialog').then(async () => {
      if (!created) return;
      const c = created as { user: User; one_time_password: string };
      await showSecretOnce(t('users.otpTitle'), t('users.otpIntroNew', { user: c.user.username }), c.one_time_password, 'user-otp');
      messages.show('success', t('users.created', { user: c.user.username }), 'users-done');
      await reload();
    });
  };

  content.append(
    pageHeader(t('nav.users'),
      canWrite ? button(t('users.create'), createUser, { kind: 'primary', testid: 'create-user' }) : null),
    messages.el,
    panel(null,
      h('table', { class: 'table', testid: 'users-table' },
        h('thead', null, h('tr', null,
          h('th', null, t('users.username')),
          h('th', null, t('users.displayName')),
          h('th', null, t('users.role')),
          h('th', null, t('users.mfa')),
          h('th', null, t('users.status')),
          h('th', null, t('users.createdAt')),
          h('th', null, canWrite ? t('common.actions') : ''),
        )),
        tableBody,
      ),
    ),
    panel(t('roles.title'), matrixHolder),
  );

  // Roles first (the role selects need the names), then the users.
  try {
    const roles = await get<RolesAnswer>('/api/v1/roles');
    if (!ctx.live()) return;
    if (roles.roles?.length) roleNames = roles.roles.map((r) => r.name);
    replace(matrixHolder, matrix(roles));
  } catch (e) {
    replace(matrixHolder, h('div', { class: 'alert alert-error' }, e instanceof Error ? e.message : String(e)));
  }
  await reload();
}

function matrix(roles: RolesAnswer): HTMLElement {
  const head = h('tr', null, h('th', null, t('roles.permission')), h('th', null, t('roles.description')),
    roles.roles.map((r) => h('th', { class: 'center' },
      roleLabel(r.name),
      r.requires_mfa ? h('div', null, badge(t('roles.mfa'), 'warn')) : null)));
  // A stronger line where the permission's area (users.*, audit.*, ...) changes.
  const area = (name: string) => name.split('.')[0];
  const rows = roles.permissions.map((p, i) => h('tr', {
    class: i > 0 && area(p.name) !== area(roles.permissions[i - 1].name) ? 'group-start' : undefined,
  },
    h('td', { class: 'nowrap' }, h('code', { class: 'perm' }, p.name)),
    h('td', { class: 'hint' }, tMaybe(`perm.${p.name}`, p.description)),
    roles.roles.map((r) => h('td', { class: 'center' },
      r.permissions.includes(p.name) ? h('span', { class: 'tick', title: t('roles.granted') }, '✓') : '')),
  ));
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'table matrix', testid: 'role-matrix' }, h('thead', null, head), h('tbody', null, rows)));
}
