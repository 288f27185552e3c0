// The signed-in user's own account: details, password change, MFA status and enrolment.
import { h, replace } from '../dom';
import { t, tMaybe } from '../i18n';
import type { PageContext } from '../main';
import { forgetSession, loadMe, setFlash, state } from '../state';
import { MessageArea, badge, button, pageHeader, panel } from '../ui';
import { mfaEnrolment, passwordForm } from './setup';

export async function renderProfile(content: HTMLElement, ctx: PageContext): Promise<void> {
  const me = await loadMe();
  if (!ctx.live()) return;

  const details = h('dl', { class: 'kv' },
    h('dt', null, t('users.username')), h('dd', { testid: 'profile-username' }, me.username),
    h('dt', null, t('users.displayName')), h('dd', null, me.display_name || '—'),
    h('dt', null, t('users.role')), h('dd', null, tMaybe(`role.${me.role}`, me.role)),
    h('dt', null, t('profile.permissions')),
    h('dd', { class: 'perm-list' }, (me.permissions ?? []).map((p) => h('code', { class: 'perm' }, p))),
  );

  const pwMessages = new MessageArea();
  const pwForm = passwordForm(pwMessages, () => {
    forgetSession();
    setFlash('success', t('setup.passwordChanged'));
    ctx.go('/login');
  }, null);

  const mfaMessages = new MessageArea();
  const mfaBody = h('div');
  const showMfa = () => {
    if (state.me?.mfa_enrolled) {
      replace(mfaBody, h('p', null, badge(t('mfa.enabled'), 'ok', 'mfa-status'), ' ', t('mfa.enabledHint')));
      return;
    }
    replace(mfaBody,
      h('p', null, badge(t('mfa.notEnabled'), 'warn', 'mfa-status'), ' ', t('mfa.notEnabledHint')),
      button(t('mfa.setUp'), async () => {
        try {
          const enrol = await mfaEnrolment(mfaMessages, async (loginRequired) => {
            if (loginRequired) {
              forgetSession();
              setFlash('success', t('setup.mfaDone'));
              ctx.go('/login');
              return;
            }
            await loadMe();
            mfaMessages.show('success', t('mfa.confirmed'));
            showMfa();
          });
          replace(mfaBody, enrol);
        } catch (e) {
          mfaMessages.error(e);
        }
      }, { kind: 'primary', testid: 'mfa-setup' }),
    );
  };
  showMfa();

  content.append(
    pageHeader(t('nav.profile')),
    h('div', { class: 'grid-2' },
      h('div', { class: 'stack' }, panel(t('profile.account'), details)),
      h('div', { class: 'stack' },
        panel(t('profile.mfa'), mfaMessages.el, mfaBody),
        panel(t('profile.changePassword'), pwMessages.el, pwForm)),
    ),
  );
}
