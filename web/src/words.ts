// Plain-language words for what the API returns as identifiers.
import type { App } from './types';
import { h } from './dom';

const KIND: Record<string, string> = {
  machine: 'machine',
  ip: 'IP address',
  ipaddress: 'IP address',
  'ip-address': 'IP address',
  dns: 'DNS records',
  dnsrecordset: 'DNS records',
  'dns-record-set': 'DNS record',
  dns_records: 'DNS records',
  zone: 'DNS zone',
  bucket: 'storage bucket',
  accesskey: 'storage access key',
  'access-key': 'storage access key',
  database: 'database',
  mail: 'mail account',
  mailaccount: 'mail account',
  'mail-account': 'mail account',
  oidc: 'login (OIDC) client',
  oidcclient: 'login (OIDC) client',
  'oidc-client': 'login (OIDC) client',
  tls: 'TLS certificate',
  certificate: 'TLS certificate',
  'tls-certificate': 'TLS certificate',
  nixos: 'server configuration',
  'nixos-config': 'server configuration',
  nixosconfig: 'server configuration',
  secret: 'secret',
};

export function kindLabel(kind: string): string {
  return KIND[kind] ?? KIND[kind.toLowerCase().replace(/[_\s]/g, '')] ?? kind.replace(/[-_]/g, ' ');
}

const VERB: Record<string, string> = {
  create: 'Create',
  update: 'Update',
  replace: 'Replace',
  delete: 'Delete',
  noop: 'Keep',
};

export const ACTION_ICON: Record<string, string> = {
  create: '+',
  update: '~',
  replace: '±',
  delete: '−',
  noop: '=',
};

export const ACTION_HEADING: Record<string, string> = {
  create: 'To create',
  update: 'To update',
  replace: 'To replace',
  delete: 'To delete',
  noop: 'Unchanged',
};

export function verb(action: string): string {
  return VERB[action] ?? action.charAt(0).toUpperCase() + action.slice(1);
}

/**
 * "database for Mastodon", "storage bucket for Mastodon “media”",
 * "DNS record “social.example.test”"... from a resource key such as
 * dep_x/database/mastodon (deployment / kind / name) and its name.
 */
export function describeResource(key: string, kind: string, name: string | undefined, catalog: App[]): string {
  const what = kindLabel(kind);
  const n = name ?? key.split('/').slice(2).join('/');
  let app: App | undefined;
  let label = n;
  for (const a of catalog) {
    if (n === a.id) {
      app = a;
      label = '';
      break;
    }
    if (n.startsWith(`${a.id}-`)) {
      app = a;
      label = n.slice(a.id.length + 1);
      break;
    }
  }
  // DNS record sets are named after their type and host: "A-social.example.test"
  if (/dns/i.test(kind)) label = label.replace(/^(A|AAAA|CNAME|MX|TXT|SRV|CAA)-/, '');
  let text = what;
  if (app) text += ` for ${app.name}`;
  if (label && label !== kind) text += ` “${label}”`;
  return text;
}

export function describeAction(action: string, key: string, kind: string, name: string | undefined, catalog: App[]): string {
  return `${verb(action)} ${describeResource(key, kind, name, catalog)}`;
}

const DEPLOYMENT_STATUS: Record<string, string> = {
  new: 'not applied yet',
  ready: 'running as configured',
  'changes pending': 'changed since the last apply: apply to carry the changes out',
  applying: 'being applied now',
  drifted: 'something was changed outside fedihost: applying repairs it',
  failed: 'the last run failed: see its steps below',
  deleting: 'being deleted now',
  deleted: 'deleted: its apps and data are gone',
};

/** A deployment's status explained in a sentence ("changed since the last apply…"). */
export function deploymentStatusText(status: string): string {
  return DEPLOYMENT_STATUS[status] ?? status;
}

/** "1 resource", "2 resources"; `many` when the plural is not just an s. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const RUN_STATUS: Record<string, string> = {
  queued: 'waiting to start',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

const STEP_STATUS: Record<string, string> = {
  pending: 'waiting',
  running: 'in progress',
  succeeded: 'done',
  failed: 'failed',
  skipped: 'skipped',
};

export const STEP_ICON: Record<string, string> = {
  pending: '○',
  running: '◔',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
};

/** A coloured badge; the machine word is kept in data-status for tests and styling. */
export function statusBadge(status: string, kind: 'deployment' | 'run' | 'step' = 'deployment'): HTMLElement {
  const words = kind === 'deployment' ? DEPLOYMENT_STATUS : kind === 'run' ? RUN_STATUS : STEP_STATUS;
  const text = kind === 'deployment' ? status : words[status] ?? status;
  const title = kind === 'deployment' ? words[status] ?? status : status;
  return h('span', { class: `badge status-${status.replace(/\s+/g, '-')}`, 'data-status': status, title }, text);
}

export function runKind(kind: string): string {
  return kind === 'apply' ? 'Apply' : kind === 'destroy' ? 'Delete' : kind;
}

const CATEGORY: Record<string, string> = {
  social: 'Social networks',
  video: 'Video',
  streaming: 'Live streaming',
  podcasts: 'Podcasts',
  chat: 'Chat',
  meetings: 'Video meetings',
  files: 'Files',
  office: 'Documents',
  code: 'Code',
  planning: 'Planning',
  mail: 'E-mail',
  photos: 'Photos',
};

/** "video" → "Video"; apps without a category are "Other". */
export function categoryLabel(category: string | undefined | null): string {
  if (!category) return 'Other';
  return CATEGORY[category] ?? category.charAt(0).toUpperCase() + category.slice(1).replace(/[-_]/g, ' ');
}

/** The order categories are shown in: known ones first, "Other" last. */
export function categoryOrder(category: string | undefined | null): number {
  if (!category) return 1000;
  const i = Object.keys(CATEGORY).indexOf(category);
  return i < 0 ? 500 : i;
}

const DATABASE: Record<string, string> = {
  postgresql: 'PostgreSQL',
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'SQLite',
  redis: 'Redis',
};

/** "postgresql" → "PostgreSQL" */
export function databaseName(engine: string): string {
  return DATABASE[engine.toLowerCase()] ?? engine;
}

const PORT: Record<number, string> = {
  25: 'mail',
  80: 'web',
  443: 'secure web',
  465: 'mail',
  587: 'mail',
  993: 'mail',
  1935: 'live video from streaming software',
  2222: 'Git over SSH',
  3478: 'calls',
  5349: 'calls',
  8448: 'Matrix federation',
};

/** 443 → "443 (secure web)" */
export function portText(port: number): string {
  return PORT[port] ? `${port} (${PORT[port]})` : String(port);
}

// ---- people and access (docs/accounts.md) ----------------------------------

const ROLE: Record<string, string> = {
  operator: 'Provider staff',
  'org-admin': 'Administrator',
  member: 'Member',
  viewer: 'Viewer',
};

const ROLE_HELP: Record<string, string> = {
  'org-admin': 'everything: people, domains, settings and deployments',
  member: 'creates, changes and deploys apps',
  viewer: 'can look, not change anything',
};

/** "org-admin" → "Administrator" */
export function roleLabel(role: string): string {
  return ROLE[role] ?? role;
}

/** "viewer" → "can look, not change anything" */
export function roleHelp(role: string): string {
  return ROLE_HELP[role] ?? '';
}

/** The roles an organisation's administrator can give, strongest first. */
export const ORG_ROLES = ['org-admin', 'member', 'viewer'] as const;

const SCOPE: Record<string, string> = {
  read: 'Read: see everything',
  write: 'Write: create, change and delete deployments',
  deploy: 'Deploy: review plans, apply, check and cancel',
  admin: 'Administer: people, invitations, domains, organisations and tokens',
};

export function scopeLabel(scope: string): string {
  return SCOPE[scope] ?? scope;
}

export const SCOPES = ['read', 'write', 'deploy', 'admin'] as const;

/** A browser's user agent in a few words: "Firefox on Linux". */
export function deviceText(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /curl|fedihost|node|python|Go-http/i.test(ua)
            ? 'A program'
            : 'A browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

// ---- migrations to another target (docs/backup-and-migration.md, "Migration") ----

/** A measured downtime in words: "1.3 s", "0.04 s", "under 0.01 s", "12 s". */
export function downtimeText(ms: number): string {
  if (ms < 10) return 'under 0.01 s';
  if (ms < 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** How one data part moved, in a sentence: "database mastodon: replicated, 696 bytes behind when writes stopped". */
export function copyText(c: { part: string; method: string; reason: string | null; lagBytes: number | null }): string {
  const what = c.part.replace(/^parts\//, '').replace('/', ' ');
  if (c.method === 'replicated')
    return `${what}: replicated while the app ran${c.lagBytes === null ? '' : `, ${c.lagBytes} ${c.lagBytes === 1 ? 'byte' : 'bytes'} behind when writes stopped`}`;
  return `${what}: copied in full, while the app ran and again at the cut-over${c.reason ? ` (not replicated: ${c.reason})` : ''}`;
}

/** Where a running migration is, in a sentence; `from` and `to` are the targets. */
export function migrationPhaseText(phase: string, from: string, to: string): string {
  switch (phase) {
    case 'queued':
      return 'Waiting to start.';
    case 'provisioning':
      return `Setting up at ${to}; the app keeps running at ${from}.`;
    case 'copying':
      return `Copying the data to ${to}; the app keeps running at ${from}.`;
    case 'cutting-over':
      return `Cutting over: writes are stopped for a moment while the last changes are copied, the address is switched to ${to} and its health is checked.`;
    case 'rolling-back':
      return `Something failed: rolling back to ${from}.`;
    case 'done':
      return 'Done.';
    default:
      return phase;
  }
}

const MIGRATION_STATUS: Record<string, string> = {
  queued: 'waiting to start',
  running: 'moving',
  succeeded: 'moved',
  failed: 'failed, rolled back',
};

export function migrationStatusText(status: string): string {
  return MIGRATION_STATUS[status] ?? status;
}

/** What is left at the old target after a move, in words. */
export function oldSideText(oldSide: string | null, from: string): string {
  switch (oldSide) {
    case 'kept':
      return `kept at ${from}, not in use`;
    case 'removing':
      return `being removed at ${from}`;
    case 'removed':
      return `removed at ${from}`;
    case 'failed':
      return `removal at ${from} failed: some is left`;
    default:
      return '—';
  }
}
