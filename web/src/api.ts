// The one place that talks to the fedihost API (/api/v1).
import type {
  App,
  Deployment,
  DeploymentPatch,
  DriftStatus,
  IpPool,
  LoginAnswer,
  Organisation,
  Orphan,
  Page,
  Plan,
  Problem,
  Run,
  SavedPlan,
  Step,
  TargetInfo,
  UpgradeInfo,
  User,
} from './types';

const BASE = '/api/v1';
const TOKEN_KEY = 'fedihost.token';
const USER_KEY = 'fedihost.user';

/** An error answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly field: string | undefined;

  constructor(status: number, problem: Problem) {
    const title = problem.title || (status ? `Request failed (${status})` : 'Request failed');
    const detail = problem.detail || '';
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.field = problem.field || undefined;
  }

  /** The text shown to a person: the detail when there is one, else the title. */
  get text(): string {
    return this.detail || this.title;
  }
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.text;
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---- session -------------------------------------------------------------

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function getUser(): User | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as User) : null;
  } catch {
    return null;
  }
}

function saveSession(answer: LoginAnswer): void {
  localStorage.setItem(TOKEN_KEY, answer.token);
  localStorage.setItem(USER_KEY, JSON.stringify(answer.user));
}

export function clearSession(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

let unauthorized: () => void = () => {};

/** Called whenever the API answers 401 to an authenticated request. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

// ---- requests ------------------------------------------------------------

interface RequestOptions {
  method?: string;
  body?: unknown;
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

async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const auth = opts.auth !== false;
  if (auth) {
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(BASE + path, { method: opts.method || 'GET', headers, body, signal: opts.signal });
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
    throw new ApiError(res.status, problem);
  }
  return res;
}

async function json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
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

// ---- routes ----------------------------------------------------------------

export async function login(email: string, password: string): Promise<LoginAnswer> {
  const answer = await json<LoginAnswer>('/auth/login', {
    method: 'POST',
    body: { email, password },
    auth: false,
  });
  saveSession(answer);
  return answer;
}

export const api = {
  me: () => json<User>('/auth/me'),

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
  drift: (id: string) => json<DriftStatus>(`/deployments/${encodeURIComponent(id)}/drift`),
  refresh: (id: string) => json<DriftStatus>(`/deployments/${encodeURIComponent(id)}/refresh`, { method: 'POST' }),
  targets: async () => (await json<{ items: TargetInfo[] }>('/targets')).items,
  ipPools: async (target: string) => (await json<{ items: IpPool[] }>(`/targets/${encodeURIComponent(target)}/ip-pools`)).items,
  createIpPool: (target: string, body: { name: string; prefix: string; gateway?: string }) =>
    json<IpPool>(`/targets/${encodeURIComponent(target)}/ip-pools`, { method: 'POST', body }),
  orphans: async () => (await json<{ items: Orphan[] }>('/orphans')).items,
  cancelRun: (id: string) => json<Run>(`/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  runs: (id: string, cursor?: string | null) =>
    json<Page<Run>>(`/deployments/${encodeURIComponent(id)}/runs` + query({ limit: 20, cursor })),
  run: (id: string) => json<Run>(`/runs/${encodeURIComponent(id)}`),
};

// ---- server-sent events ----------------------------------------------------

export interface RunEvents {
  onStep(step: Step): void;
  onRun(run: Run): void;
  /** `event: error`: the server could not go on with the stream (data is a message). */
  onError?(message: string): void;
}

/**
 * Reads GET /runs/{id}/events with fetch (EventSource cannot send the
 * Authorization header) and dispatches `step` and `run` events until the
 * stream ends or `signal` aborts. Resolves when the stream closes.
 */
export async function streamRunEvents(runId: string, handlers: RunEvents, signal: AbortSignal): Promise<void> {
  const res = await send(`/runs/${encodeURIComponent(runId)}/events`, {
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
      handlers.onError?.(message);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // not JSON: ignore
    }
    if (name === 'step') handlers.onStep(parsed as Step);
    else if (name === 'run') handlers.onRun(parsed as Run);
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
