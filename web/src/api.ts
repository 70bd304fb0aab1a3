// The one place that talks to the fedihost API (/api/v1).
//
// The panel is signed in by an HttpOnly cookie the server sets at login; the
// session's CSRF token (kept in memory and in sessionStorage, so that a reload
// keeps it; GET /auth/me gives it again) goes with every POST, PATCH, PUT and
// DELETE as X-CSRF-Token. No token is ever kept in localStorage.
import type {
  AdminLogin,
  Backup,
  BackupSchedule,
  BackupScheduleInput,
  BundleVerification,
  Migration,
  Restore,
  AuditEntry,
  AuditVerification,
  AuditFilter,
  ApiToken,
  App,
  AuthOptions,
  Deployment,
  DeploymentPatch,
  DnsChallenge,
  DriftStatus,
  Invitation,
  InvitationInfo,
  IpPool,
  LoginAnswer,
  LoginSession,
  Me,
  Member,
  Organisation,
  OrgDomain,
  Job,
  OrphanScan,
  Page,
  Plan,
  Problem,
  Run,
  SavedPlan,
  Step,
  TargetInfo,
  Instance,
  TotpSetup,
  UpgradeInfo,
  User,
} from './types';

const BASE = '/api/v1';
const CSRF_KEY = 'fedihost.csrf';
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** An error answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly field: string | undefined;
  /** Every field at fault (the first is also `field`/`detail`). */
  readonly errors: { field: string; detail: string }[];
  /** The second factor's state: "required" | "invalid" | "setup-required". */
  readonly totp: string | undefined;
  /** Seconds to wait (429 Retry-After). */
  readonly retryAfter: number | undefined;
  readonly problem: Problem;

  constructor(status: number, problem: Problem, retryAfter?: number) {
    const title = problem.title || (status ? `Request failed (${status})` : 'Request failed');
    const detail = problem.detail || '';
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.field = problem.field || undefined;
    this.errors = Array.isArray(problem.errors)
      ? problem.errors.filter((x): x is { field: string; detail: string } => !!x && typeof x.field === 'string' && typeof x.detail === 'string')
      : [];
    this.totp = typeof problem.totp === 'string' ? problem.totp : undefined;
    this.retryAfter = retryAfter ?? (typeof problem.retryAfter === 'number' ? problem.retryAfter : undefined);
    this.problem = problem;
  }

  /** The text shown to a person: the detail when there is one, else the title. */
  get text(): string {
    if (this.status === 429) return tooManyText(this.retryAfter);
    return this.detail || this.title;
  }
}

/** "Too many attempts, try again in 30 seconds." */
export function tooManyText(seconds: number | undefined): string {
  if (!seconds || seconds <= 0) return 'Too many attempts, try again in a moment.';
  if (seconds < 120) return `Too many attempts, try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  return `Too many attempts, try again in ${Math.ceil(seconds / 60)} minutes.`;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.text;
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---- session -------------------------------------------------------------

function stored(): string | null {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

let csrf: string | null = stored();

// Panels before the session cookie kept a bearer token in localStorage: drop it.
try {
  localStorage.removeItem('fedihost.token');
  localStorage.removeItem('fedihost.user');
} catch {
  /* storage unavailable */
}

/** Keeps the session's CSRF token (in memory and for this tab's reloads). */
export function setCsrfToken(token: string | null | undefined): void {
  csrf = token || null;
  try {
    if (csrf) sessionStorage.setItem(CSRF_KEY, csrf);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    /* storage unavailable: memory only */
  }
}

/** Forgets what this tab knows of the session (the cookie is the server's to end). */
export function clearSession(): void {
  setCsrfToken(null);
}

let unauthorized: () => void = () => {};
let secondFactorNeeded: () => void = () => {};

/** Called whenever the API answers 401 to an authenticated request. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

/** Called when an organisation (or the server) refuses a user without a second factor (403, totp "setup-required"). */
export function onSecondFactorNeeded(fn: () => void): void {
  secondFactorNeeded = fn;
}

// ---- requests ----------------------------------------------------------------

interface RequestOptions {
  method?: string;
  body?: unknown;
  /** false for the routes used before signing in: a 401 there is an answer, not an expired session. */
  auth?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const p = JSON.parse(text) as unknown;
      if (p && typeof p === 'object') return p as Problem;
    } catch {
      /* not JSON: fall through */
    }
  }
  return { title: res.statusText || `Request failed (${res.status})`, status: res.status };
}

/** Retry-After: seconds, or an HTTP date. */
function retryAfter(res: Response): number | undefined {
  const v = res.headers.get('Retry-After');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const when = Date.parse(v);
  return Number.isNaN(when) ? undefined : Math.max(1, Math.ceil((when - Date.now()) / 1000));
}

async function send(path: string, opts: RequestOptions = {}, retried = false): Promise<Response> {
  const method = opts.method || 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const auth = opts.auth !== false;
  if (MUTATING.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(BASE + path, { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      title: 'Could not reach the fedihost server',
      detail: 'Could not reach the fedihost server. Check your connection and try again.',
    });
  }
  if (!res.ok) {
    const problem = await readProblem(res);
    if (res.status === 401 && auth) {
      clearSession();
      unauthorized();
    }
    // The CSRF token was lost (storage cleared, another tab?): ask for the session's and try once more.
    if (res.status === 403 && MUTATING.has(method) && !retried && /csrf/i.test(`${problem.title} ${problem.detail}`)) {
      const fresh = await json<Me>('/auth/me', { auth: false }).catch(() => null);
      if (fresh?.csrfToken && fresh.csrfToken !== csrf) {
        setCsrfToken(fresh.csrfToken);
        return send(path, opts, true);
      }
    }
    if (res.status === 403 && problem.totp === 'setup-required') secondFactorNeeded();
    throw new ApiError(res.status, problem, retryAfter(res));
  }
  return res;
}
export async function json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The If-Match header for a deployment version (its ETag is the version in quotes). */
function ifMatch(version: number): Record<string, string> {
  return { 'If-Match': `"${version}"` };
}

/** Fetches every page of a paged list (bounded, to stay polite). */
async function all<T>(path: string, params: Record<string, string> = {}, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: Page<T> = await json<Page<T>>(path + query({ ...params, limit: 100, cursor }));
    items.push(...page.items);
    cursor = page.next;
    if (!cursor) break;
  }
  return items;
}

/** Lists that may be paged ({items,next}) or not ({items} or a bare array): every item. */
async function collect<T>(path: string, maxPages = 20): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const answer: T[] | { items?: T[]; next?: string | null } = await json(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    if (Array.isArray(answer)) return answer;
    out.push(...(answer?.items ?? []));
    cursor = answer?.next ?? null;
    if (!cursor) break;
  }
  return out;
}

const enc = encodeURIComponent;

// ---- answers whose exact shape docs/accounts.md leaves open, made one shape here ----

type Loose = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Loose | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : undefined);

/** {"user":{"id","email"},"role"} or {"id"|"userId","email","role"} → Member */
function toMember(raw: unknown): Member {
  const r = obj(raw) ?? {};
  const u = obj(r.user) ?? r;
  return {
    id: str(u.id) ?? str(r.userId) ?? str(r.user) ?? '',
    email: str(u.email) ?? str(r.email) ?? '',
    role: str(r.role) ?? 'viewer',
    totpEnabled: typeof u.totpEnabled === 'boolean' ? u.totpEnabled : undefined,
  };
}

/** The TXT record to publish: {"name","type","value"}, or only its value. */
function toDomain(raw: unknown): OrgDomain {
  const r = obj(raw) ?? {};
  const domain = str(r.domain) ?? str(r.name) ?? '';
  const c = obj(r.challenge);
  const challenge: DnsChallenge = {
    name: str(c?.name) ?? `_fedihost-challenge.${domain}`,
    type: str(c?.type) ?? 'TXT',
    value: str(c?.value) ?? str(r.challenge) ?? str(r.value) ?? '',
  };
  const verifiedAt = str(r.verifiedAt) ?? null;
  const verified = r.verified === true || r.status === 'verified' || !!verifiedAt;
  return { domain, challenge, verified, verifiedAt, createdAt: str(r.createdAt) };
}

/** The accept page's facts, whatever the server calls its members. */
function toInvitationInfo(raw: unknown): InvitationInfo {
  const r = obj(raw) ?? {};
  const org = obj(r.organisation);
  return {
    organisationName:
      str(r.organisationDisplayName) ??
      str(org?.displayName) ??
      str(r.displayName) ??
      str(r.organisationName) ??
      str(org?.name) ??
      str(r.organisation) ??
      'the organisation',
    organisationId: str(org?.id) ?? str(r.organisationId) ?? (typeof r.organisation === 'string' && /^org_/.test(r.organisation) ? r.organisation : undefined),
    email: str(r.email) ?? '',
    role: str(r.role) ?? 'viewer',
    accountExists: r.accountExists === true || r.hasAccount === true || r.existingAccount === true || r.account === true || r.exists === true,
  };
}

/**
 * An invitation, pending or not: servers may say "state" or "status", or only
 * when it was accepted or revoked. Its link is made absolute (the server gives
 * <origin>/invite#token=…).
 */
function toInvitation(raw: unknown): Invitation {
  const r = obj(raw) ?? {};
  const expiresAt = str(r.expiresAt);
  const token = str(r.token);
  let url = str(r.url) ?? (token ? `/invite#token=${encodeURIComponent(token)}` : undefined);
  if (url) {
    try {
      url = new URL(url, location.origin).href;
    } catch {
      /* keep it as given */
    }
  }
  const state =
    str(r.state) ??
    str(r.status) ??
    (str(r.revokedAt) ? 'revoked' : str(r.acceptedAt) ? 'accepted' : expiresAt && Date.parse(expiresAt) < Date.now() ? 'expired' : 'pending');
  return {
    id: str(r.id) ?? '',
    email: str(r.email) ?? '',
    role: str(r.role) ?? '',
    createdAt: str(r.createdAt),
    expiresAt,
    state,
    url,
    token,
    mailed: r.mailed === true,
  };
}

function keepCsrf<T extends { csrfToken?: string } | undefined>(answer: T): T {
  if (answer?.csrfToken) setCsrfToken(answer.csrfToken);
  return answer;
}

// ---- routes ----------------------------------------------------------------

/** Signs in (the server sets the session cookie); `totp` is a code or a recovery code. */
export async function login(email: string, password: string, totp?: string): Promise<LoginAnswer> {
  const body: { email: string; password: string; totp?: string } = { email, password };
  if (totp) body.totp = totp;
  return keepCsrf(await json<LoginAnswer>('/auth/login', { method: 'POST', body, auth: false }));
}

/** The signed-in user, or null when the cookie is missing or no longer valid. */
export async function whoAmI(): Promise<Me | null> {
  try {
    const me = await json<Me>('/auth/me', { auth: false });
    keepCsrf(me);
    return me && me.user ? { ...me, organisations: me.organisations ?? [] } : null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearSession();
      return null;
    }
    throw e;
  }
}

/** Ends this browser's session; the tab forgets it even when the server cannot be reached. */
export async function logout(): Promise<void> {
  try {
    await json<void>('/auth/logout', { method: 'POST', auth: false });
  } finally {
    clearSession();
  }
}

export const api = {
  // -- accounts (docs/accounts.md) --
  options: () => json<AuthOptions>('/auth/options', { auth: false }),
  signup: async (body: { email: string; password: string; organisation: { name: string; displayName?: string } }) =>
    keepCsrf(await json<LoginAnswer | undefined>('/auth/signup', { method: 'POST', body, auth: false })),
  requestPasswordReset: (email: string) => json<void>('/auth/password-reset', { method: 'POST', body: { email }, auth: false }),
  confirmPasswordReset: (token: string, password: string) =>
    json<void>('/auth/password-reset/confirm', { method: 'POST', body: { token, password }, auth: false }),
  logoutAll: async () => {
    try {
      await json<void>('/auth/logout-all', { method: 'POST' });
    } finally {
      clearSession();
    }
  },
  sessions: () => collect<LoginSession>('/auth/sessions'),
  endSession: (id: string) => json<void>(`/auth/sessions/${enc(id)}`, { method: 'DELETE' }),
  changePassword: (currentPassword: string, newPassword: string) =>
    json<void>('/auth/password', { method: 'POST', body: { currentPassword, newPassword } }),
  changeEmail: (password: string, email: string) => json<User | undefined>('/auth/email', { method: 'POST', body: { password, email } }),
  beginTotp: () => json<TotpSetup>('/auth/totp', { method: 'POST' }),
  confirmTotp: (code: string) => json<{ recoveryCodes: string[] }>('/auth/totp/confirm', { method: 'POST', body: { code } }),
  disableTotp: (password: string) => json<void>('/auth/totp', { method: 'DELETE', body: { password } }),

  tokens: () => collect<ApiToken>('/tokens'),
  createToken: (body: { name: string; scopes: string[]; expiresAt?: string; organisation?: string }) =>
    json<ApiToken>('/tokens', { method: 'POST', body }),
  revokeToken: (id: string) => json<void>(`/tokens/${enc(id)}`, { method: 'DELETE' }),

  inspectInvitation: async (token: string) =>
    toInvitationInfo(await json<unknown>('/invitations/inspect', { method: 'POST', body: { token }, auth: false })),
  /** Signed in: joins with the current account. Otherwise creates the account with `password` and signs in. */
  acceptInvitation: async (token: string, password?: string) =>
    keepCsrf(
      await json<(LoginAnswer & { organisation?: unknown }) | undefined>('/invitations/accept', {
        method: 'POST',
        body: password === undefined ? { token } : { token, password },
        auth: password === undefined,
      }),
    ),
  invitations: async (org: string) => (await collect<unknown>(`/organisations/${enc(org)}/invitations`)).map(toInvitation),
  invite: async (org: string, body: { email: string; role: string }) =>
    toInvitation(await json<unknown>(`/organisations/${enc(org)}/invitations`, { method: 'POST', body })),
  revokeInvitation: (org: string, id: string) => json<void>(`/organisations/${enc(org)}/invitations/${enc(id)}`, { method: 'DELETE' }),

  members: async (org: string) => (await collect<unknown>(`/organisations/${enc(org)}/members`)).map(toMember),
  setMemberRole: (org: string, user: string, role: string) =>
    json<unknown>(`/organisations/${enc(org)}/members/${enc(user)}`, { method: 'PATCH', body: { role } }),
  removeMember: (org: string, user: string) => json<void>(`/organisations/${enc(org)}/members/${enc(user)}`, { method: 'DELETE' }),

  domains: async (org: string) => (await collect<unknown>(`/organisations/${enc(org)}/domains`)).map(toDomain),
  addDomain: async (org: string, domain: string) =>
    toDomain(await json<unknown>(`/organisations/${enc(org)}/domains`, { method: 'POST', body: { domain } })),
  verifyDomain: async (org: string, domain: string) =>
    toDomain(await json<unknown>(`/organisations/${enc(org)}/domains/${enc(domain)}/verify`, { method: 'POST' })),
  removeDomain: (org: string, domain: string) => json<void>(`/organisations/${enc(org)}/domains/${enc(domain)}`, { method: 'DELETE' }),

  updateOrganisation: (id: string, body: { displayName?: string; requireTotp?: boolean }) =>
    json<Organisation>(`/organisations/${enc(id)}`, { method: 'PATCH', body }),
  deleteOrganisation: (id: string) => json<void>(`/organisations/${enc(id)}`, { method: 'DELETE' }),

  users: (cursor?: string | null) => json<Page<User>>('/users' + query({ limit: 50, cursor })),
  audit: (filter: AuditFilter, cursor?: string | null) => json<Page<AuditEntry>>('/audit' + query({ ...filter, limit: 50, cursor })),
  auditVerification: () => json<AuditVerification>('/audit/verification'),
  /** Where the filtered log can be downloaded as JSON lines (the session cookie authenticates a GET). */
  auditExportUrl: (filter: AuditFilter) => '/api/v1/audit' + query({ ...filter, format: 'jsonl', limit: 10000 }),
  disableUser: (id: string) => json<User | undefined>(`/users/${enc(id)}/disable`, { method: 'POST' }),
  enableUser: (id: string) => json<User | undefined>(`/users/${enc(id)}/enable`, { method: 'POST' }),

  // -- catalog and deployments --

  catalog: async () => (await json<{ items: App[] }>('/catalog')).items,
  catalogApp: (id: string) => json<App>(`/catalog/${encodeURIComponent(id)}`),

  organisations: (cursor?: string | null) =>
    json<Page<Organisation>>('/organisations' + query({ limit: 50, cursor })),
  allOrganisations: () => all<Organisation>('/organisations'),
  organisation: (id: string) => json<Organisation>(`/organisations/${encodeURIComponent(id)}`),
  createOrganisation: (body: { name: string; displayName?: string }) =>
    json<Organisation>('/organisations', { method: 'POST', body }),

  deployments: (organisation: string, cursor?: string | null) =>
    json<Page<Deployment>>('/deployments' + query({ organisation, limit: 50, cursor })),
  /** Deleted deployments that still have a complete backup: what a restore can bring back. */
  deletedDeployments: (organisation: string, cursor?: string | null) =>
    json<Page<Deployment>>('/deployments' + query({ organisation, deleted: 'true', limit: 50, cursor })),
  deployment: (id: string) => json<Deployment>(`/deployments/${encodeURIComponent(id)}`),
  createDeployment: (
    organisation: string,
    body: { name: string; domain: string; apps: { app: string; settings?: Record<string, unknown> }[] },
  ) => json<Deployment>(`/organisations/${encodeURIComponent(organisation)}/deployments`, { method: 'POST', body }),
  /** PATCH with If-Match: the version the change was made from (412 when someone changed it since). */
  updateDeployment: (id: string, version: number, body: DeploymentPatch) =>
    json<Deployment>(`/deployments/${encodeURIComponent(id)}`, { method: 'PATCH', body, headers: ifMatch(version) }),
  upgradeInfo: (id: string, signal?: AbortSignal) =>
    json<UpgradeInfo>(`/deployments/${encodeURIComponent(id)}/upgrade`, { signal }),
  upgrade: (id: string, version: number) =>
    json<Deployment>(`/deployments/${encodeURIComponent(id)}/upgrade`, { method: 'POST', headers: ifMatch(version) }),
  deleteDeployment: (id: string) => json<Run>(`/deployments/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  plan: (id: string) => json<Plan>(`/deployments/${encodeURIComponent(id)}/plan`),
  /** Computes and keeps the plan, so that Apply carries out exactly what was reviewed. */
  savePlan: (id: string) => json<SavedPlan>(`/deployments/${encodeURIComponent(id)}/plan`, { method: 'POST', body: { save: true } }),
  /** Applies a saved plan (409 naming what changed if it is stale), or plans afresh without one. */
  apply: (id: string, plan?: string) =>
    json<Run>(`/deployments/${encodeURIComponent(id)}/apply`, plan ? { method: 'POST', body: { plan } } : { method: 'POST' }),
  revealAdminLogins: async (id: string) =>
    (await json<{ items: AdminLogin[] }>(`/deployments/${encodeURIComponent(id)}/admin-logins/reveal`, { method: 'POST' })).items,
  drift: (id: string) => json<DriftStatus>(`/deployments/${encodeURIComponent(id)}/drift`),
  /** Queues a refresh (202): a job whose result is the drift found; follow it with followJob. */
  refresh: (id: string) => json<Job<DriftStatus>>(`/deployments/${encodeURIComponent(id)}/refresh`, { method: 'POST' }),
  targets: async () => (await json<{ items: TargetInfo[] }>('/targets')).items,
  instances: async () => (await json<{ items: Instance[] }>('/instances')).items,
  ipPools: async (target: string) => (await json<{ items: IpPool[] }>(`/targets/${encodeURIComponent(target)}/ip-pools`)).items,
  createIpPool: (target: string, body: { name: string; prefix: string; gateway?: string }) =>
    json<IpPool>(`/targets/${encodeURIComponent(target)}/ip-pools`, { method: 'POST', body }),
  /** Queues an orphan scan (202), or gets the one in progress: a job; follow it with followJob. */
  scanOrphans: () => json<Job<OrphanScan>>('/orphans/scan', { method: 'POST' }),
  job: <T>(id: string) => json<Job<T>>(`/jobs/${encodeURIComponent(id)}`),
  cancelRun: (id: string) => json<Run>(`/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  runs: (id: string, cursor?: string | null) =>
    json<Page<Run>>(`/deployments/${encodeURIComponent(id)}/runs` + query({ limit: 20, cursor })),
  run: (id: string) => json<Run>(`/runs/${encodeURIComponent(id)}`),
  backups: async (id: string) => (await json<{ items: Backup[] }>(`/deployments/${encodeURIComponent(id)}/backups`)).items,
  backUp: (id: string) => json<Backup>(`/deployments/${encodeURIComponent(id)}/backups`, { method: 'POST' }),
  backup: (id: string) => json<Backup>(`/backups/${encodeURIComponent(id)}`),
  backupSchedule: (id: string) => json<BackupSchedule>(`/deployments/${encodeURIComponent(id)}/backup-schedule`),
  setBackupSchedule: (id: string, body: BackupScheduleInput) =>
    json<BackupSchedule>(`/deployments/${encodeURIComponent(id)}/backup-schedule`, { method: 'PUT', body }),
  disableBackupSchedule: (id: string) =>
    json<BackupSchedule>(`/deployments/${encodeURIComponent(id)}/backup-schedule`, { method: 'DELETE' }),
  /** Where the bundle file is downloaded from (a plain link: the session cookie goes with it). */
  /** Queues the verification of a backup's bundle (202): a job; follow it with followJob. */
  verifyBackup: (id: string) => json<Job<BundleVerification>>(`/backups/${encodeURIComponent(id)}/verify`, { method: 'POST' }),
  bundleUrl: (id: string) => `/api/v1/backups/${encodeURIComponent(id)}/bundle`,
  restore: (organisation: string, body: { backup: string; domain?: string; name?: string }) =>
    json<Restore>(`/organisations/${encodeURIComponent(organisation)}/restores`, { method: 'POST', body }),
  /** Restores one of the deployment's backups into it, after a safety backup. */
  restoreInPlace: (deployment: string, backup: string) =>
    json<Restore>(`/deployments/${encodeURIComponent(deployment)}/restores`, { method: 'POST', body: { backup } }),
  restoreStatus: (id: string) => json<Restore>(`/restores/${encodeURIComponent(id)}`),
  /** Moves a deployment to another target (operators; 202): poll it with migration(id). */
  migrate: (deployment: string, target: string) =>
    json<Migration>(`/deployments/${encodeURIComponent(deployment)}/migrations`, { method: 'POST', body: { target } }),
  migrations: async (deployment: string) =>
    (await json<{ items: Migration[] }>(`/deployments/${encodeURIComponent(deployment)}/migrations`)).items,
  migration: (id: string) => json<Migration>(`/migrations/${encodeURIComponent(id)}`),
  /** Removes what a migration left at its old target (operators; 202): oldSide goes removing → removed or failed. */
  removeOldSide: (id: string) => json<Migration>(`/migrations/${encodeURIComponent(id)}/old-side-removal`, { method: 'POST' }),
};

// ---- server-sent events ----------------------------------------------------

export interface RunEvents {
  onStep(step: Step): void;
  onRun(run: Run): void;
  /** `event: error`: the server could not go on with the stream (data is a message). */
  onError?(message: string): void;
}

/**
 * Reads GET /runs/{id}/events with fetch (one code path for cookies and
 * problems, and a stream that stops with the page's signal) and dispatches `step` and `run` events until the
 * stream ends or `signal` aborts. Resolves when the stream closes.
 */
export async function streamRunEvents(runId: string, handlers: RunEvents, signal: AbortSignal): Promise<void> {
  await streamEvents(
    `/runs/${encodeURIComponent(runId)}/events`,
    (name, parsed) => {
      if (name === 'step') handlers.onStep(parsed as Step);
      else if (name === 'run') handlers.onRun(parsed as Run);
    },
    (message) => handlers.onError?.(message),
    signal,
  );
}

/**
 * Follows a job (a refresh, an orphan scan) through GET /jobs/{id}/events until it ends; `onJob`
 * sees each change (its progress). Resolves with the job done; rejects with an ApiError when it
 * failed or the stream broke off before its end.
 */
export async function followJob<T>(job: Job<T>, signal: AbortSignal, onJob?: (job: Job<T>) => void): Promise<Job<T>> {
  let last = job;
  let streamError = '';
  if (job.state !== 'done' && job.state !== 'failed')
    await streamEvents(
      job.links.events.replace(/^\/api\/v1/, ''),
      (name, parsed) => {
        if (name !== 'job') return;
        last = parsed as Job<T>;
        onJob?.(last);
      },
      (message) => {
        streamError = message;
      },
      signal,
    );
  if (last.state === 'done') return last;
  if (last.state === 'failed') throw new ApiError(500, { title: 'The job failed', detail: last.error ?? '' });
  throw new ApiError(0, { title: 'Lost track of the job', detail: streamError || `${job.kind} ${job.id} is still ${last.state}` });
}

/** Reads a server-sent event stream with fetch and hands each JSON event to `onEvent`. */
async function streamEvents(
  path: string,
  onEvent: (name: string, parsed: unknown) => void,
  onError: (message: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await send(path, {
    signal,
    headers: { Accept: 'text/event-stream' },
  });
  if (!res.body) throw new ApiError(0, { title: 'This browser cannot read a live stream' });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];

  const dispatch = () => {
    if (data.length === 0) {
      event = 'message';
      return;
    }
    const payload = data.join('\n');
    const name = event;
    event = 'message';
    data = [];
    if (name === 'error') {
      let message = payload;
      try {
        const p = JSON.parse(payload) as Problem | string;
        message = typeof p === 'string' ? p : p.detail || p.title || payload;
      } catch {
        /* a plain message */
      }
      onError(message);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // not JSON: ignore
    }
    onEvent(name, parsed);
  };

  const line = (l: string) => {
    if (l === '') return dispatch();
    if (l.startsWith(':')) return; // comment / keep-alive
    const colon = l.indexOf(':');
    const fieldName = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (fieldName === 'event') event = value || 'message';
    else if (fieldName === 'data') data.push(value);
  };

  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        // a lone \r at the very end may be the first half of \r\n: wait for more
        if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
        const l = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        line(l);
      }
    }
    if (buffer) line(buffer);
    dispatch();
  } finally {
    reader.releaseLock();
  }
}
