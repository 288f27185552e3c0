// Sign-in: user name and password; the one-time code field appears when the server answers
// mfa_required. The answer decides where to go next: forced password change, MFA enrolment,
// or the console (the page asked for while signed out, else the status page).
import { ApiError, type LoginAnswer, post, setCsrfToken } from '../api';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { langSwitch } from '../layout';
import type { PageContext } from '../main';
import { forgetSession, loadMe, state, takeFlash } from '../state';
import { MessageArea, button, errorMessage, field, form, input } from '../ui';

export function renderLogin(root: HTMLElement, ctx: PageContext): void {
  const messages = new MessageArea();
  const flash = takeFlash();
  if (flash) messages.show(flash.kind, flash.text, 'flash');

  const username = input('username', { autocomplete: 'username', required: true, testid: 'login-username', value: state.lastUsername });
  const password = input('password', { type: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' });
  const totp = input('totp', {
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    maxlength: 8,
    testid: 'login-totp',
    placeholder: '123456',
  });
  const totpField = field(t('login.totp'), totp, t('login.totpHint'));
  totpField.hidden = true;

  const submit = async () => {
    messages.clear();
    const body: Record<string, string> = { username: username.value.trim(), password: password.value };
    if (!totpField.hidden && totp.value.trim()) body.totp = totp.value.trim();
    try {
      const answer = await post<LoginAnswer>('/api/v1/auth/login', body, { expect401: true });
      forgetSession();
      setCsrfToken(answer.csrf_token);
      state.lastUsername = body.username;
      if (answer.must_change_password) {
        state.pendingOldPassword = body.password;
        ctx.go('/setup/password');
        return;
      }
      if (answer.mfa_enrolment_required) {
        ctx.go('/setup/mfa');
        return;
      }
      await loadMe();
      ctx.afterSignIn();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && e.mfaRequired) {
        const firstAsk = totpField.hidden || !body.totp;
        totpField.hidden = false;
        totp.value = '';
        if (firstAsk) messages.show('info', t('login.totpRequired'), 'login-mfa-required');
        else messages.show('error', e.message, 'error');
        totp.focus();
        return;
      }
      if (e instanceof ApiError && e.status === 429) {
        const seconds = e.retryAfter ?? 1;
        messages.show('error', t('login.lockedOut', { seconds }), 'login-locked');
        return;
      }
      messages.show('error', errorMessage(e), 'error');
      password.select();
    }
  };

  const card = h('div', { class: 'login-card' },
    h('div', { class: 'login-brand' },
      h('span', { class: 'brand-mark large' }, 'V'),
      h('div', null,
        h('div', { class: 'login-title' }, t('app.name')),
        h('div', { class: 'login-sub' }, t('app.tagline')),
      ),
    ),
    h('h1', { class: 'login-heading' }, t('login.title')),
    messages.el,
    form(submit, { testid: 'login-form' },
      field(t('login.username'), username),
      field(t('login.password'), password),
      totpField,
      h('div', { class: 'form-actions' },
        button(t('login.submit'), null, { kind: 'primary', type: 'submit', testid: 'login-submit' }),
      ),
    ),
    h('p', { class: 'login-foot' }, t('login.notice')),
  );

  replace(root, h('div', { class: 'center-page' },
    h('div', { class: 'center-top' }, langSwitch(ctx.rerender)),
    card,
  ));
  (username.value ? password : username).focus();
}
