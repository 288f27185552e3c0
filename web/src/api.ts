// The one way the console talks to the server: JSON over same-origin fetch with the session
// cookie (HttpOnly: never read here), the CSRF token on every state-changing request, errors
// turned into ApiError with the server's message, and 401 sending the user to the sign-in page.

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
    readonly retryAfter: number | null,
  ) {
    super(message);
  }
  get mfaRequired(): boolean {
    return typeof this.body === 'object' && this.body !== null &&
      (this.body as { mfa_required?: unknown }).mfa_required === true;
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  // The sign-in call answers 401 for a wrong password: that is not an expired session.
  expect401?: boolean;
  // Asked by a timer (a page's automatic refresh), not by the user: sent with
  // X-Vigil-Refresh: 1, which the server does not count as activity for the idle timeout.
  refresh?: boolean;
  // Numbers whose JSON text a JS number cannot give back (1.0, 1e3, an integer beyond 2^53)
  // come as that text, a string: for values shown and searched for as they were logged.
  exactNumbers?: boolean;
}

// JSON.parse's reviver is given the source text of each primitive (Chromium 114 and later);
// without it numbers stay numbers.
function keepNumberText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return String(value) === context.source ? value : context.source;
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (options.refresh) headers['X-Vigil-Refresh'] = '1';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e), null, null);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = options.exactNumbers ? JSON.parse(text, keepNumberText) : JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = response.headers.get('Retry-After');
    const error = new ApiError(
      response.status,
      err?.code ?? `http_${response.status}`,
      err?.message ?? `HTTP ${response.status} ${response.statusText}`,
      data,
      retry !== null && /^\d+$/.test(retry) ? Number(retry) : null,
    );
    if (response.status === 401 && !options.expect401) onUnauthorized();
    throw error;
  }
  return data as T;
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options);
export const post = <T>(path: string, body?: unknown, options?: RequestOptions) =>
  request<T>('POST', path, body, options);
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, body);
export const patch = <T>(path: string, body?: unknown) => request<T>('PATCH', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---- the shapes the server answers with -------------------------------------------------

export type SessionLimit = 'none' | 'password_change' | 'mfa_enrolment';

export interface Me {
  id: number | string;
  username: string;
  display_name?: string;
  role: string;
  mfa_enrolled: boolean;
  must_change_password: boolean;
  disabled: boolean;
  session_limit?: SessionLimit;
  csrf_token?: string;
  permissions?: string[];
}

export interface LoginAnswer {
  user: string;
  role: string;
  csrf_token: string;
  must_change_password?: boolean;
  mfa_enrolment_required?: boolean;
}

export interface User {
  id: number | string;
  username: string;
  display_name?: string;
  role: string;
  mfa_enrolled: boolean;
  must_change_password: boolean;
  disabled: boolean;
  created_at?: string;
}

export interface RolesAnswer {
  roles: { name: string; requires_mfa: boolean; permissions: string[] }[];
  permissions: { name: string; description: string }[];
}

export interface TokenInfo {
  id: string;
  name: string;
  owner: string;
  scopes: string[];
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  action: string;
  object: string;
  before: unknown;
  after: unknown;
  source_ip: string;
  result: string;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  records_checked: number;
  last_seq: number;
  findings: { kind: string; seq: number; message: string }[];
  findings_omitted?: number;
  key_id: string;
}

// GET /api/v1/ingest/status
export interface IngestSource {
  name: string;
  type: string;
  decoder: string;
  port?: number;
  received: number;
  rate_per_s: number;
  bytes: number;
  parsed: number;
  malformed: number;
  malformed_samples: string[];
  stored: number;
  duplicates: number;
  detections: number;
  refused: number;
  paused: number;
  oversized: number;
  framing_errors: number;
  connections: number;
  tls_failures: number;
  connections_refused: number;
  kernel_drops: number;
  audit_cut: number;
  compressed_skipped: number;
  dated_ahead: number;
  last_received_at: string | null;
  silent: boolean;
}

export interface IngestStatus {
  updated_at: string;
  rules_loaded: number;
  rules_rejected: number;
  workers?: number;
  buffer?: {
    memory_messages: number;
    spooled_records: number;
    spooled_bytes: number;
    spooled_total: number;
    refused_total: number;
  };
  accepted_total: number;
  stored_total: number;
  detections_total: number;
  store_errors: number;
  last_error?: string;
  // Serve's memory: resident now and at most since start, and SQLite's part of it.
  process?: {
    resident_bytes?: number;
    peak_resident_bytes?: number;
    sqlite_heap_bytes: number;
    sqlite_heap_peak_bytes: number;
  };
  sources: IngestSource[];
  // Set for a caller without events.read: every source's malformed_samples (raw log text) is
  // then empty.
  samples_withheld?: boolean;
}

// A field's value as the event store gives it: dotted names nest ({"source": {"ip": "…"}} for
// source.ip), repeated names come as arrays (the values, then the object of the longer names
// when a name has both). Numbers JS cannot hold exactly come as strings.
export type FieldValue = string | number | boolean | null | FieldValue[] | { [name: string]: FieldValue };

// GET /api/v1/events
export interface StoredEvent {
  id: string;
  // The search time (what ranges, order and the histogram use): the event's own time when it is
  // plausible, else its receive time.
  time: string;
  // The event's own time, or null when it has none (absent from servers before it was added).
  event_time?: string | null;
  received: string;
  source: string;
  host: string;
  logsource: { product: string; service: string; categories: string[] };
  fields: Record<string, FieldValue> | null;
  message: string;
}

export interface EventPage extends Page<StoredEvent> {
  scanned: number;
  partitions: number;
}

// GET /api/v1/events/histogram
export interface Histogram {
  since: string;
  // A number, or a string when it has more than 15 significant digits.
  bucket_seconds: number | string;
  counts: number[];
  total: number;
}

// GET /api/v1/detections
export interface Detection {
  id: string;
  rule_id: string;
  rule_title: string;
  level: string;
  time: string;
  created: string;
  status: string;
  event_ids: string[];
}
