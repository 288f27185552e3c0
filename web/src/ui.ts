// Shared pieces of the pages: messages, buttons that show they are busy, form fields, dialogs,
// one-time secrets with a copy button, badges.
import { ApiError } from './api';
import { type Attrs, type Child, h, replace } from './dom';
import { type Key, t } from './i18n';

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network');
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function alertBox(kind: 'info' | 'success' | 'error' | 'warning', text: string, testid?: string): HTMLElement {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status', testid }, text);
}

// A place on a page for the outcome of the last action.
export class MessageArea {
  readonly el = h('div', { class: 'messages', aria: { live: 'polite' } });
  show(kind: 'info' | 'success' | 'error' | 'warning', text: string, testid?: string): void {
    replace(this.el, alertBox(kind, text, testid));
  }
  error(e: unknown): void {
    this.show('error', errorMessage(e), 'error');
  }
  clear(): void {
    replace(this.el);
  }
}

export interface ButtonOptions {
  kind?: 'primary' | 'secondary' | 'danger' | 'link';
  type?: 'button' | 'submit';
  testid?: string;
  small?: boolean;
  title?: string;
  disabled?: boolean;
}

// A button whose async handler disables it until it settles (no double submits).
export function button(
  label: string,
  onClick: ((event: Event) => unknown) | null,
  options: ButtonOptions = {},
): HTMLButtonElement {
  const cls = ['btn', `btn-${options.kind ?? 'secondary'}`, options.small ? 'btn-sm' : ''].join(' ').trim();
  const b = h('button', {
    class: cls,
    type: options.type ?? 'button',
    testid: options.testid,
    title: options.title,
    disabled: options.disabled,
  }, label);
  if (onClick) {
    b.addEventListener('click', async (event) => {
      if (b.disabled) return;
      b.disabled = true;
      try {
        await onClick(event);
      } finally {
        b.disabled = false;
      }
    });
  }
  return b;
}

// A form whose async submit handler runs with the submit buttons disabled.
export function form(
  onSubmit: (form: HTMLFormElement) => unknown,
  attrs: { class?: string; testid?: string; id?: string } = {},
  ...children: (Child | Child[])[]
): HTMLFormElement {
  const f = h('form', { class: attrs.class ?? 'form', testid: attrs.testid, id: attrs.id, autocomplete: 'off' }, ...children);
  f.noValidate = false;
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = [...f.querySelectorAll<HTMLButtonElement>('button[type=submit]')];
    if (buttons.some((b) => b.disabled)) return;
    buttons.forEach((b) => (b.disabled = true));
    try {
      await onSubmit(f);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return f;
}

let fieldSeq = 0;

export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('div', { class: 'hint' }, hint) : null,
  );
}

export function input(name: string, attrs: Attrs = {}): HTMLInputElement {
  return h('input', { name, type: 'text', ...attrs });
}

export function select(name: string, options: { value: string; label: string }[], value?: string): HTMLSelectElement {
  const s = h('select', { name }, options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
  if (value !== undefined) s.value = value;
  return s;
}

export function badge(text: string, kind: 'ok' | 'warn' | 'bad' | 'neutral' = 'neutral', testid?: string): HTMLElement {
  return h('span', { class: `badge badge-${kind}`, testid }, text);
}

export function yesNo(v: boolean): string {
  return v ? t('common.yes') : t('common.no');
}

// A secret shown once (one-time password, API token, TOTP secret) with a copy button.
export function secretBox(value: string, testid: string): HTMLElement {
  const code = h('code', { class: 'secret-value', testid }, value);
  const copy = button(t('common.copy'), async () => {
    try {
      await navigator.clipboard.writeText(value);
      copy.textContent = t('common.copied');
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      copy.textContent = t('common.selected');
    }
  }, { small: true, testid: `${testid}-copy` });
  return h('div', { class: 'secret' }, code, copy);
}

export function pageHeader(title: string, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'page-header' },
    h('h1', null, title),
    h('div', { class: 'page-actions' }, ...actions),
  );
}

export function panel(title: string | null, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'panel' },
    title ? h('h2', { class: 'panel-title' }, title) : null,
    h('div', { class: 'panel-body' }, ...children),
  );
}

export interface DialogButton {
  label: string;
  kind?: ButtonOptions['kind'];
  testid?: string;
  // Return false to keep the dialog open.
  onClick?: () => unknown;
}

// A modal <dialog>; resolves when it closes.
export function openDialog(title: string, body: (Child | Child[])[], buttons: DialogButton[], testid?: string): Promise<void> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', testid });
    const close = () => {
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve();
    });
    const actions = buttons.map((b) =>
      button(b.label, async () => {
        const keep = b.onClick ? await b.onClick() : undefined;
        if (keep !== false) close();
      }, { kind: b.kind ?? 'secondary', testid: b.testid }),
    );
    dialog.append(
      h('h2', { class: 'dialog-title' }, title),
      h('div', { class: 'dialog-body' }, ...body),
      h('div', { class: 'dialog-actions' }, ...actions),
    );
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

export function confirmDialog(text: string, confirmLabel: string, danger = false): Promise<boolean> {
  let confirmed = false;
  return openDialog(t('common.confirm'), [h('p', null, text)], [
    { label: t('common.cancel'), testid: 'dialog-cancel' },
    {
      label: confirmLabel,
      kind: danger ? 'danger' : 'primary',
      testid: 'dialog-confirm',
      onClick: () => {
        confirmed = true;
      },
    },
  ]).then(() => confirmed);
}

// Shows a one-time secret in a dialog that says it will not be shown again.
export function showSecretOnce(title: string, intro: string, value: string, testid: string): Promise<void> {
  return openDialog(title, [
    h('p', null, intro),
    secretBox(value, testid),
    alertBox('warning', t('common.shownOnce')),
  ], [{ label: t('common.done'), kind: 'primary', testid: `${testid}-done` }], `${testid}-dialog`);
}

export function loading(): HTMLElement {
  return h('div', { class: 'loading' }, t('common.loading'));
}

export function emptyRow(colspan: number, key: Key = 'common.none'): HTMLTableRowElement {
  return h('tr', { class: 'empty' }, h('td', { colspan }, t(key)));
}
