// The first-login steps of a limited session: the forced password change, then (for roles that
// require it) TOTP enrolment. Each ends the session on the server; the user signs in again.
import { post } from '../api';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { langSwitch } from '../layout';
import type { PageContext } from '../main';
import { qrSvg } from '../qr';
import { forgetSession, setFlash, setReturnTo, state } from '../state';
import { MessageArea, alertBox, button, field, form, input, loading, secretBox } from '../ui';

function frame(ctx: PageContext, wide: boolean, step: string, title: string, ...body: HTMLElement[]): HTMLElement {
  const signOut = button(t('header.signOut'), async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch {
      // Signed out here whatever the server answers.
    }
    forgetSession();
    setReturnTo(null);
    ctx.go('/login');
  }, { kind: 'link', testid: 'logout' });
  return h('div', { class: 'center-page' },
    h('div', { class: 'center-top' }, langSwitch(ctx.rerender)),
    h('div', { class: wide ? 'login-card wide' : 'login-card medium' },
      h('div', { class: 'step' }, step),
      h('h1', { class: 'login-heading' }, title),
      ...body,
      h('div', { class: 'card-foot' }, h('span', null, state.me?.username ?? ''), signOut),
    ),
  );
}

// The form used both here and on the profile page; `onDone` runs after the server accepted it.
export function passwordForm(messages: MessageArea, onDone: () => void, prefillOld: string | null): HTMLFormElement {
  const oldPw = input('old', { type: 'password', autocomplete: 'current-password', required: true, testid: 'pw-old' });
  if (prefillOld) oldPw.value = prefillOld;
  const newPw = input('new', { type: 'password', autocomplete: 'new-password', required: true, testid: 'pw-new' });
  const again = input('again', { type: 'password', autocomplete: 'new-password', required: true, testid: 'pw-again' });
  return form(async () => {
    messages.clear();
    if (newPw.value !== again.value) {
      messages.show('error', t('password.mismatch'), 'error');
      again.focus();
      return;
    }
    try {
      await post('/api/v1/auth/password', { old: oldPw.value, new: newPw.value });
      onDone();
    } catch (e) {
      messages.error(e);
    }
  }, { testid: 'password-form' },
    field(t('password.old'), oldPw),
    field(t('password.new'), newPw, t('password.policy')),
    field(t('password.again'), again),
    h('div', { class: 'form-actions' },
      button(t('password.submit'), null, { kind: 'primary', type: 'submit', testid: 'pw-submit' })),
  );
}

export function renderSetupPassword(root: HTMLElement, ctx: PageContext): void {
  const messages = new MessageArea();
  const f = passwordForm(messages, () => {
    state.pendingOldPassword = null;
    forgetSession();
    setFlash('success', t('setup.passwordChanged'));
    ctx.go('/login');
  }, state.pendingOldPassword);
  replace(root, frame(ctx, false, t('setup.step1'), t('setup.passwordTitle'),
    alertBox('info', t('setup.passwordIntro')),
    messages.el,
    f,
  ));
  f.querySelector<HTMLInputElement>(state.pendingOldPassword ? '[name=new]' : '[name=old]')?.focus();
}

// The enrolment panel: QR code, the secret as text, and the confirmation code. Used by the
// first-login flow and by the profile page.
export async function mfaEnrolment(messages: MessageArea, onConfirmed: (loginRequired: boolean) => void): Promise<HTMLElement> {
  if (!state.enrolment) {
    state.enrolment = await post<{ secret: string; otpauth_uri: string }>('/api/v1/auth/totp/enroll');
  }
  const { secret, otpauth_uri } = state.enrolment;
  const code = input('code', { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 8, required: true, testid: 'mfa-code', placeholder: '123456' });
  const f = form(async () => {
    messages.clear();
    try {
      const answer = await post<{ mfa_enrolled: boolean; login_required?: boolean }>('/api/v1/auth/totp/confirm', { code: code.value.trim() });
      state.enrolment = null;
      onConfirmed(answer.login_required === true);
    } catch (e) {
      messages.error(e);
      code.select();
    }
  }, { testid: 'mfa-form', class: 'form inline-form' },
    field(t('mfa.code'), code),
    button(t('mfa.confirm'), null, { kind: 'primary', type: 'submit', testid: 'mfa-submit' }),
  );
  return h('div', { class: 'mfa-enrol' },
    h('ol', { class: 'steps' },
      h('li', null, t('mfa.stepApp')),
      h('li', null, t('mfa.stepScan')),
      h('li', null, t('mfa.stepCode')),
    ),
    h('div', { class: 'mfa-grid' },
      h('div', { class: 'qr-box', testid: 'mfa-qr' }, qrSvg(otpauth_uri, t('mfa.qrLabel'))),
      h('div', { class: 'mfa-side' },
        h('div', { class: 'label' }, t('mfa.secret')),
        secretBox(secret, 'mfa-secret'),
        h('div', { class: 'hint' }, t('mfa.secretHint')),
        f,
      ),
    ),
  );
}

export function renderSetupMfa(root: HTMLElement, ctx: PageContext): void {
  const messages = new MessageArea();
  const holder = h('div', null, loading());
  replace(root, frame(ctx, true, t('setup.step2'), t('setup.mfaTitle'),
    alertBox('info', t('setup.mfaIntro')),
    messages.el,
    holder,
  ));
  mfaEnrolment(messages, () => {
    forgetSession();
    setFlash('success', t('setup.mfaDone'));
    ctx.go('/login');
  }).then((panel) => {
    if (ctx.live()) replace(holder, panel);
    panel.querySelector<HTMLInputElement>('[name=code]')?.focus();
  }, (e) => {
    replace(holder);
    messages.error(e);
  });
}
