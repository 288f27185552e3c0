// The frame around every signed-in page: header (product, language, user, sign-out) and the
// navigation, which shows only what the caller's permissions allow.
import { post } from './api';
import { h } from './dom';
import { type Key, type Lang, lang, setLang, t, tMaybe } from './i18n';
import { can, forgetSession, setFlash, setReturnTo, state } from './state';

export interface NavItem {
  path: string;
  label: Key;
  // The permission needed to see the entry (none: every signed-in user).
  perm?: string;
  // Filled by a later issue: shown, but not a link.
  soon?: boolean;
}

export const NAV: { group: Key; items: NavItem[] }[] = [
  {
    group: 'nav.group.operations',
    items: [
      { path: '/situation', label: 'nav.situation', perm: 'alerts.read', soon: true },
      { path: '/alerts', label: 'nav.alerts', perm: 'alerts.read', soon: true },
      { path: '/events', label: 'nav.events', perm: 'events.read' },
      { path: '/incidents', label: 'nav.incidents', perm: 'incidents.read', soon: true },
      { path: '/notices', label: 'nav.notices', perm: 'incidents.read', soon: true },
    ],
  },
  {
    group: 'nav.group.exposure',
    items: [
      { path: '/assets', label: 'nav.assets', perm: 'assets.read', soon: true },
      { path: '/vulnerabilities', label: 'nav.vulnerabilities', perm: 'findings.read', soon: true },
      { path: '/baselines', label: 'nav.baselines', perm: 'findings.read', soon: true },
      { path: '/integrity', label: 'nav.integrity', perm: 'alerts.read', soon: true },
      { path: '/reports', label: 'nav.reports', perm: 'reports.read', soon: true },
    ],
  },
  {
    group: 'nav.group.administration',
    items: [
      { path: '/status', label: 'nav.status', perm: 'system.status' },
      { path: '/sources', label: 'nav.sources', perm: 'system.status' },
      { path: '/users', label: 'nav.users', perm: 'users.read' },
      { path: '/tokens', label: 'nav.tokens', perm: 'tokens.manage_own' },
      { path: '/audit', label: 'nav.audit', perm: 'audit.read' },
      { path: '/profile', label: 'nav.profile' },
    ],
  },
];

export function langSwitch(onChange: () => void): HTMLElement {
  const choice = (code: Lang, label: string) =>
    h('button', {
      type: 'button',
      class: `lang-btn${lang() === code ? ' active' : ''}`,
      testid: `lang-${code}`,
      aria: { pressed: String(lang() === code) },
      on: {
        click: () => {
          if (lang() === code) return;
          setLang(code);
          onChange();
        },
      },
    }, label);
  return h('div', { class: 'lang-switch', role: 'group', aria: { label: t('header.language') } },
    choice('zh-CN', '中文'), choice('en', 'English'));
}

export function shell(currentPath: string, go: (path: string) => void, rerender: () => void): { root: HTMLElement; content: HTMLElement } {
  const me = state.me!;
  const logout = h('button', {
    type: 'button',
    class: 'btn btn-header',
    testid: 'logout',
    on: {
      click: async () => {
        try {
          await post('/api/v1/auth/logout');
        } catch {
          // Whatever the server says, this browser is signed out.
        }
        forgetSession();
        // The next sign-in in this tab starts from the home page.
        setReturnTo(null);
        setFlash('info', t('login.signedOut'));
        go('/login');
      },
    },
  }, t('header.signOut'));

  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/status' },
      h('span', { class: 'brand-mark' }, 'V'),
      h('span', { class: 'brand-name' }, t('app.name')),
      h('span', { class: 'brand-sub' }, t('app.tagline')),
    ),
    h('div', { class: 'topbar-right' },
      langSwitch(rerender),
      h('a', { class: 'user-chip', href: '#/profile', testid: 'current-user', title: me.display_name ? `${me.display_name} · ${t('nav.profile')}` : t('nav.profile') },
        h('span', { class: 'user-name' }, me.username),
        h('span', { class: 'user-role' }, tMaybe(`role.${me.role}`, me.role)),
      ),
      logout,
    ),
  );

  const nav = h('nav', { class: 'sidenav', aria: { label: t('nav.label') } });
  for (const group of NAV) {
    const items = group.items.filter((i) => !i.perm || can(i.perm));
    if (items.length === 0) continue;
    nav.appendChild(h('div', { class: 'nav-group' }, t(group.group)));
    for (const item of items) {
      const active = currentPath === item.path || currentPath.startsWith(`${item.path}/`);
      if (item.soon) {
        nav.appendChild(h('span', {
          class: 'nav-item disabled',
          aria: { disabled: 'true' },
          title: t('nav.soonHint'),
          testid: `nav${item.path.replace(/\//g, '-')}`,
        }, h('span', null, t(item.label)), h('span', { class: 'soon' }, t('nav.soon'))));
      } else {
        nav.appendChild(h('a', {
          class: `nav-item${active ? ' active' : ''}`,
          href: `#${item.path}`,
          testid: `nav${item.path.replace(/\//g, '-')}`,
          aria: active ? { current: 'page' } : undefined,
        }, t(item.label)));
      }
    }
  }

  const content = h('main', { class: 'content', id: 'content' });
  const root = h('div', { class: 'app' }, header, h('div', { class: 'body' }, nav, content));
  return { root, content };
}
