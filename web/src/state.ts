// What the console knows about the signed-in user. Kept in memory only: a reload asks the
// server again (GET /api/v1/auth/me), the session itself is the HttpOnly cookie.
import { type Me, get, setCsrfToken } from './api';

export interface Flash {
  kind: 'info' | 'success' | 'error';
  text: string;
}

export const state: {
  me: Me | null;
  flash: Flash | null;
  // The password typed at sign-in, kept only until the forced password change uses it.
  pendingOldPassword: string | null;
  // The TOTP secret being enrolled, so a re-render (language switch) does not issue a new one.
  enrolment: { secret: string; otpauth_uri: string } | null;
  // The user name of the last sign-in, to fill the form after "sign in again".
  lastUsername: string;
} = { me: null, flash: null, pendingOldPassword: null, enrolment: null, lastUsername: '' };

export async function loadMe(): Promise<Me> {
  const me = await get<Me>('/api/v1/auth/me');
  state.me = me;
  if (me.csrf_token) setCsrfToken(me.csrf_token);
  return me;
}

export function forgetSession(): void {
  state.me = null;
  state.enrolment = null;
  setCsrfToken('');
}

// The page asked for while signed out, as its whole hash (#/events?range=24h&q=deny), to open
// after the sign-in. In sessionStorage, so it lives through a reload of the sign-in page and the
// first-login steps but stays in this tab; in memory only where the browser refuses storage.
// Whoever reads it checks it again (main.ts): storage is not trusted to hold what was written.
const RETURN_KEY = 'vigil.returnTo';
let returnTo: string | null = null;

export function setReturnTo(hash: string | null): void {
  returnTo = hash;
  try {
    if (hash === null) sessionStorage.removeItem(RETURN_KEY);
    else sessionStorage.setItem(RETURN_KEY, hash);
  } catch {
    // Storage disabled or full: memory is enough within this page load.
  }
}

// The remembered hash, forgotten as it is read (one sign-in uses it once).
export function takeReturnTo(): string | null {
  let hash = returnTo;
  try {
    hash = sessionStorage.getItem(RETURN_KEY) ?? hash;
  } catch {
    // As above.
  }
  setReturnTo(null);
  return hash;
}

export function can(permission: string): boolean {
  return state.me?.permissions?.includes(permission) ?? false;
}

export function setFlash(kind: Flash['kind'], text: string): void {
  state.flash = { kind, text };
}

export function takeFlash(): Flash | null {
  const f = state.flash;
  state.flash = null;
  return f;
}
