// Entry point: hash routing (#/login, #/users, ...), the session check before every signed-in
// page, the limited sessions the server hands out (forced password change, MFA enrolment), and
// the page asked for while signed out, opened after the sign-in.
import './styles.css';
import { ApiError, setUnauthorizedHandler } from './api';
import { h, replace } from './dom';
import { t } from './i18n';
import { shell } from './layout';
import { renderAudit } from './pages/audit';
import { renderEvents } from './pages/events';
import { renderLogin } from './pages/login';
import { renderProfile } from './pages/profile';
import { renderSetupMfa, renderSetupPassword } from './pages/setup';
import { renderSources } from './pages/sources';
import { renderStatus } from './pages/status';
import { renderTokens } from './pages/tokens';
import { renderUsers } from './pages/users';
import { can, forgetSession, loadMe, setFlash, setReturnTo, state, takeFlash, takeReturnTo } from './state';
import { alertBox, errorMessage } from './ui';

export interface PageContext {
  go: (path: string) => void;
  rerender: () => void;
  // True while this rendering is still the current one (the user has not navigated away).
  live: () => boolean;
  // Runs `fn` when this rendering is replaced (navigation, language switch, sign-out): timers.
  onLeave: (fn: () => void) => void;
  // After a full sign-in: the page asked for while signed out, with its query, when the user may
  // open it; else the home page.
  afterSignIn: () => void;
}

type Page = (content: HTMLElement, ctx: PageContext) => void | Promise<void>;

const PAGES: Record<string, { page: Page; perm?: string; title: Parameters<typeof t>[0] }> = {
  '/events': { page: renderEvents, perm: 'events.read', title: 'nav.events' },
  '/status': { page: renderStatus, perm: 'system.status', title: 'nav.status' },
  '/sources': { page: renderSources, perm: 'system.status', title: 'nav.sources' },
  '/users': { page: renderUsers, perm: 'users.read', title: 'nav.users' },
  '/tokens': { page: renderTokens, perm: 'tokens.manage_own', title: 'nav.tokens' },
  '/audit': { page: renderAudit, perm: 'audit.read', title: 'nav.audit' },
  '/profile': { page: renderProfile, title: 'nav.profile' },
};

const HOME = '/status';
// The longest hash remembered across the sign-in; a longer link leads to the home page.
const MAX_RETURN_HASH = 8192;
const root = document.getElementById('app')!;
let generation = 0;
const leaving: (() => void)[] = [];

function currentPath(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash.split('?')[0] : '';
}

function go(path: string): void {
  if (currentPath() === path) void render();
  else location.hash = `#${path}`;
}

// `hash` when it is '#/<a page of PAGES>' with an optional '?query', else null: '#//host',
// 'javascript:...', '#/login', '#/setup/...' and unknown pages never come out of here. With
// `forUser`, also null when the signed-in user's permissions do not allow the page. What comes out
// is only ever assigned to location.hash, so its query cannot leave the fragment either.
function pageHash(hash: string | null, forUser: boolean): string | null {
  if (!hash || hash.length > MAX_RETURN_HASH || !hash.startsWith('#/')) return null;
  // location.hash percent-encodes these; a raw one did not come from the address bar.
  if (/[\u0000-\u0020\u007f]/.test(hash)) return null;
  const at = hash.indexOf('?');
  const path = hash.slice(1, at < 0 ? undefined : at);
  if (!Object.hasOwn(PAGES, path)) return null;
  const perm = PAGES[path].perm;
  if (forUser && perm && !can(perm)) return null;
  return hash;
}

function afterSignIn(): void {
  const hash = pageHash(takeReturnTo(), true);
  go(hash ? hash.slice(1) : HOME);
}

setUnauthorizedHandler(() => {
  const wasSignedIn = state.me !== null;
  forgetSession();
  const path = currentPath();
  if (path !== '/login') {
    // The page to come back to after the sign-in. The first-login steps are part of a sign-in:
    // they keep the page asked for before it.
    if (!path.startsWith('/setup/')) setReturnTo(pageHash(location.hash, false));
    if (wasSignedIn) setFlash('info', t('login.sessionEnded'));
    go('/login');
  }
});

async function render(): Promise<void> {
  const gen = ++generation;
  for (const fn of leaving.splice(0)) fn();
  const ctx: PageContext = {
    go,
    rerender: () => void render(),
    live: () => gen === generation,
    onLeave: (fn) => {
      if (gen === generation) leaving.push(fn);
      else fn();
    },
    afterSignIn,
  };
  const path = currentPath();
  document.title = t('app.name');

  if (path === '/login') {
    renderLogin(root, ctx);
    return;
  }

  if (!state.me) {
    try {
      await loadMe();
    } catch (e) {
      if (!ctx.live()) return;
      if (e instanceof ApiError && e.status === 401) {
        go('/login');
        return;
      }
      replace(root, h('div', { class: 'center-page' }, alertBox('error', errorMessage(e))));
      return;
    }
    if (!ctx.live()) return;
  }
  const me = state.me!;

  // A limited session can only do the one thing it was made for.
  if (me.session_limit === 'password_change') {
    if (path !== '/setup/password') return go('/setup/password');
    renderSetupPassword(root, ctx);
    return;
  }
  if (me.session_limit === 'mfa_enrolment') {
    if (path !== '/setup/mfa') return go('/setup/mfa');
    renderSetupMfa(root, ctx);
    return;
  }
  if (path === '' || path === '/' || path.startsWith('/setup/')) return go(HOME);

  const { root: frame, content } = shell(path, go, ctx.rerender);
  replace(root, frame);
  const flash = takeFlash();
  if (flash) content.appendChild(alertBox(flash.kind, flash.text));

  const entry = PAGES[path];
  if (!entry) {
    content.appendChild(alertBox('warning', t('error.notFound')));
    return;
  }
  document.title = `${t(entry.title)} · ${t('app.name')}`;
  if (entry.perm && !can(entry.perm)) {
    content.appendChild(alertBox('error', t('error.forbiddenPage'), 'forbidden'));
    return;
  }
  try {
    await entry.page(content, ctx);
  } catch (e) {
    if (ctx.live()) content.appendChild(alertBox('error', errorMessage(e), 'error'));
  }
}

window.addEventListener('hashchange', () => void render());
void render();
