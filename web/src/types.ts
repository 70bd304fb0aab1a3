// Types of the fedihost HTTP API v1 (see docs/api.md).

/** A person who logs in (docs/accounts.md). Operators are the provider's staff. */
export interface User {
  id: string;
  email: string;
  /** Older servers: "operator" | "member". */
  role?: string;
  /** Newer servers: the account is the provider's staff. */
  isOperator?: boolean;
  /** Some servers may name it `operator`. */
  operator?: boolean;
  disabled?: boolean;
  /** Whether a second factor is set up. */
  totpEnabled?: boolean;
  createdAt: string;
}

/** A role in an organisation, weakest last. */
export type OrgRole = 'org-admin' | 'member' | 'viewer';

/** An organisation the user belongs to, with her role in it (GET /auth/me). */
export interface Membership {
  id: string;
  name: string;
  displayName?: string | null;
  role: OrgRole | string;
  requireTotp?: boolean;
}

/** The current login session, as GET /auth/me describes it (members beyond `id` are optional). */
export interface SessionInfo {
  id: string;
  createdAt?: string;
  lastUsedAt?: string;
  expiresAt?: string;
}

/** GET /auth/me */
export interface Me {
  user: User;
  organisations: Membership[];
  /** The current session (some servers may give only its id). */
  session?: SessionInfo | string | null;
  csrfToken?: string;
}

/** POST /auth/login (and an accepted invitation for a new account). */
export interface LoginAnswer {
  token?: string;
  csrfToken?: string;
  expiresAt?: string;
  user?: User;
}

/** GET /auth/options (public). */
export interface AuthOptions {
  signup: boolean;
  passwordReset: boolean;
}

/** A login session in GET /auth/sessions. */
export interface LoginSession {
  id: string;
  createdAt?: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
  /** The client address it was opened from. */
  remote?: string | null;
  userAgent?: string | null;
  /** True for the session of this browser (when the server says so). */
  current?: boolean;
}

export type Scope = 'read' | 'write' | 'deploy' | 'admin';

/** An API token (GET /tokens); its secret is only in the answer to POST /tokens. */
export interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  organisation?: string | null;
  createdAt?: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
  /** Only when just created. */
  token?: string;
}

/** POST /auth/totp */
export interface TotpSetup {
  secret: string;
  uri: string;
}

/** A member of an organisation, as the panel uses it. */
export interface Member {
  id: string;
  email: string;
  role: OrgRole | string;
  totpEnabled?: boolean;
}

export interface Invitation {
  id: string;
  email: string;
  role: OrgRole | string;
  createdAt?: string;
  expiresAt?: string;
  /** "pending" | "accepted" | "revoked" | "expired" when the server says. */
  state?: string;
  /** Only when just created: the link to send. */
  url?: string;
  token?: string;
  mailed?: boolean;
}

/** POST /invitations/inspect, as the panel uses it. */
export interface InvitationInfo {
  organisationName: string;
  organisationId?: string;
  email: string;
  role: OrgRole | string;
  accountExists: boolean;
}

export interface DnsChallenge {
  name: string;
  type: string;
  value: string;
}

/** A domain an organisation claims (…/domains). */
export interface OrgDomain {
  domain: string;
  challenge: DnsChallenge;
  verified: boolean;
  verifiedAt?: string | null;
  createdAt?: string;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface SchemaProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  /** A plain-language hint for `pattern` ("use only lowercase letters…"). */
  'x-patternHint'?: string;
}

export interface SettingsSchema {
  type?: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
}

/** A storage bucket an app needs; older servers sent only its name. */
export type BucketNeed = string | { name: string; purpose?: string };

export interface AppNeeds {
  cpu?: number;
  memoryMiB?: number;
  diskGiB?: number;
  databases?: string[];
  buckets?: BucketNeed[];
  mail?: boolean;
  redis?: boolean;
  ports?: number[];
}

/** Strengths, weaknesses, opportunities and threats: plain sentences. */
export interface Swot {
  strengths?: string[];
  weaknesses?: string[];
  opportunities?: string[];
  threats?: string[];
}

/** How an app is backed up. */
export interface BackupStrategy {
  /** Database engines dumped, e.g. ["postgresql"]. */
  databases?: string[];
  /** Directories on the machine that are copied. */
  paths?: string[];
  /** Names of the app's buckets (needs.buckets) whose files are copied. */
  buckets?: string[];
  /** The app is stopped during the copy. */
  stopForConsistency?: boolean;
  notes?: string;
}

export interface App {
  id: string;
  name: string;
  summary: string;
  description: string;
  upstream?: string;
  licence: string;
  activityPub: boolean;
  version?: string;
  defaultSubdomain?: string;
  category?: string;
  schemaVersion?: number;
  needs?: AppNeeds;
  settingsSchema?: SettingsSchema;
  swot?: Swot | null;
  backup?: BackupStrategy | null;
  /** The first administrator the platform makes with the app, or null where it makes none. */
  adminLogin?: { username: string; loginPath: string } | null;
}

/** POST /deployments/{id}/admin-logins/reveal: one app's first administrator. */
export interface AdminLogin {
  app: string;
  name: string;
  username: string;
  /** null until the app is applied */
  password: string | null;
  loginUrl: string;
  applied: boolean;
}

export interface Organisation {
  id: string;
  name: string;
  displayName?: string | null;
  /** Members must have a second factor to act in it. */
  requireTotp?: boolean;
  createdAt: string;
}

export type DeploymentStatus =
  | 'ready'
  | 'changes pending'
  | 'applying'
  | 'drifted'
  | 'failed'
  | 'deleting'
  | 'deleted';

/** A setting changed since the last apply ("Mastodon: maximum post length 500 → 1000"). */
export interface SettingChange {
  app: string;
  setting: string | null;
  label: string | null;
  from: unknown;
  to: unknown;
  text: string;
}

export interface DeploymentApp {
  app: string;
  settings?: Record<string, unknown>;
  host?: string | null;
  url?: string | null;
  /** The app's version when configured or last upgraded (newer servers). */
  version?: string | null;
  /** The version of the settings schema its settings follow (newer servers). */
  schemaVersion?: number | null;
  /** Its address is published: an apply created it (newer servers). */
  live?: boolean;
}

export interface Deployment {
  id: string;
  organisation: string;
  name: string;
  domain: string;
  apps: DeploymentApp[];
  status: DeploymentStatus | string;
  version: number;
  target?: string;
  lastRun?: Run | null;
  /** The catalog release it was configured or last upgraded with (newer servers). */
  catalogVersion?: string | null;
  /** The nixpkgs revision of that release (newer servers). */
  nixpkgsRevision?: string | null;
  /** What the last refresh found at the providers (newer servers). */
  drift?: { refreshedAt: string | null; drifted: boolean; count: number };
  /** Edited (or upgraded, or never applied) since the last apply. */
  changesPending?: boolean;
  /** The TLS certificate the last apply recorded, or null before one was issued. */
  certificate?: { notAfter: string; names: string[] } | null;
  /** The settings changed since the last apply. */
  settingChanges?: SettingChange[];
  /** When it was deleted; null while it lives (newer servers). */
  deletedAt?: string | null;
  createdAt: string;
  updatedAt?: string;
}

/** What PATCH /deployments/{id} accepts: the members to change. */
export interface DeploymentPatch {
  domain?: string;
  apps?: { app: string; settings?: Record<string, unknown> }[];
}

export interface ReleaseRef {
  catalogVersion?: string | null;
  nixpkgsRevision?: string | null;
}

/** GET /deployments/{id}/upgrade */
export interface UpgradeInfo {
  available: boolean;
  from?: ReleaseRef | null;
  to?: ReleaseRef | null;
  apps?: {
    app: string;
    fromVersion?: string | null;
    toVersion?: string | null;
    fromSchema?: number | null;
    toSchema?: number | null;
    /** Plain-language descriptions of the settings changes. */
    changes?: string[];
  }[];
}

export interface Resource {
  key: string;
  kind: string;
  name?: string;
  attributes?: Record<string, unknown>;
}

export type ActionKind = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export interface PlanAction {
  action: ActionKind | string;
  resource: Resource;
  reason?: string | null;
}

export interface Plan {
  deployment: string;
  actions: PlanAction[];
  summary: Partial<Record<ActionKind, number>>;
  /** The settings that change, named by their labels. */
  settingChanges?: SettingChange[];
  /** What the deployment will cost a month once applied; null when no price plan is assigned. */
  monthlyEstimate?: MonthlyEstimate | null;
}

/** The price per month of what a deployment will have once applied (docs/billing.md). */
export interface MonthlyEstimate {
  currency: string;
  currencyDigits: number;
  totalMinor: number;
  subtotalMinor: number;
  vatMinor: number;
  lines: { what: string; quantity: string; unit: string; amountMinor: number }[];
  plan: string;
  basis: string;
}

/** A plan kept to be applied exactly as reviewed (POST …/plan {"save": true}). */
export interface SavedPlan extends Plan {
  id: string;
  createdAt: string;
  appliedBy: string | null;
}

export interface DriftItem {
  resourceKey: string;
  status: 'changed' | 'missing' | string;
  detail: string;
  checkedAt: string;
}

export interface DriftStatus {
  deployment: string;
  refreshedAt: string | null;
  drifted: boolean;
  resources: DriftItem[];
  errors: string[];
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface Step {
  seq: number;
  action: string;
  resourceKey: string;
  kind: string;
  status: StepStatus | string;
  error?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** Provider calls made; more than 1 when retryable errors were retried. */
  attempts?: number;
}

export interface Run {
  id: string;
  deployment: string;
  kind: 'apply' | 'destroy' | string;
  status: RunStatus | string;
  createdAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  error?: string | null;
  progress?: { done: number; total: number };
  steps?: Step[];
  cancelRequested?: boolean;
  /** The saved plan this run applies. */
  plan?: string | null;
}

/** An RFC 7807 problem document, as every API error is. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  field?: string;
  /** Second factor: "required" | "invalid" at login, "setup-required" when an organisation asks for one. */
  totp?: string;
  retryAfter?: number;
  /** Every field at fault in the request. */
  errors?: { field: string; detail: string }[];
}

/** GET /targets: where deployments can live. */
export interface TargetInfo {
  name: string;
  providers: Record<string, { implementation: string; parallelism: number; canUpdateInPlace: boolean; canList: boolean }>;
}

/** A `fedihost serve` process sharing the state database (GET /api/v1/instances). */
export interface Instance {
  id: string;
  host: string;
  pid: number;
  version: string;
  state: 'alive' | 'late' | 'stopped';
  self: boolean;
  startedAt: string;
  heartbeatAt: string;
  leaseSeconds: number;
  stoppedAt: string | null;
  stopReason: string | null;
  runs: number;
  jobs: number;
}

export interface IpPool {
  id: string;
  target: string;
  name: string;
  family: string;
  prefix: string;
  prefixLength: number;
  gateway: string | null;
  reserved: { first: string; last: string }[];
  allocated: number;
  createdAt: string;
}

export interface Orphan {
  target: string;
  resourceKey: string;
  deployment: string;
  reason: string;
}

/** One row of the audit log (GET /api/v1/audit; docs/accounting.md). */
export interface AuditEntry {
  seq: number;
  eventId: string;
  at: string;
  actorKind: 'user' | 'token' | 'system' | 'anonymous' | string;
  actorId: string;
  /** The actor as known today (user and token rows whose user still exists); not part of the hashed row. */
  actor?: { email: string; operator: boolean } | null;
  via: string;
  organisationId: string;
  action: string;
  objectId: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  remote: string;
  requestId: string;
  detail: string;
  prevHash: string;
  hash: string;
}

/** GET /api/v1/audit/verification: whether the hash chain and its signed head hold. */
export interface AuditVerification {
  intact: boolean;
  rows: number;
  checkedAt: string;
  signedHead: { seq: number; at: string } | null;
  problem?: string;
  firstBadRow?: { seq: number; eventId: string };
}

export interface AuditFilter {
  from?: string;
  to?: string;
  actor?: string;
  object?: string;
  action?: string;
  organisation?: string;
}

/** A provider that could not list: the scan does not know what it holds. */
export interface OrphanScanFailure {
  target: string;
  deployment: string;
  kind: string;
  error: string;
}

export interface OrphanScan {
  items: Orphan[];
  failures: OrphanScanFailure[];
  complete: boolean;
}

/** A refresh or an orphan scan, done by the server's workers (202 from POST …/refresh, POST /orphans/scan). */
export interface Job<T = unknown> {
  id: string;
  kind: 'refresh' | 'orphan-scan' | 'bundle-verify';
  state: 'queued' | 'running' | 'done' | 'failed';
  deployment: string | null;
  /** Provider calls made, of about `total` (0 until known). */
  progress: { done: number; total: number };
  /** Once done: a refresh's DriftStatus, a scan's OrphanScan. */
  result: T | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  links: { self: string; events: string };
}

/** What reading a backup's whole bundle found (the result of a bundle-verify job). */
export interface BundleVerification {
  backup: string;
  checkedAt: string;
  size: number;
  intact: boolean;
  /** How many parts were checked, and how many secrets opened (null when not intact). */
  parts: number | null;
  secrets: number | null;
  /** The part at fault and what is wrong with it. */
  part: string | null;
  problem: string | null;
}

/** A backup of a deployment: a bundle file, made by a job (docs/backup-and-migration.md). */
export interface Backup {
  id: string;
  deployment: string;
  organisation: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | string;
  error: string | null;
  size: number;
  checksum: string | null;
  done: number;
  total: number;
  complete: boolean;
  /** Made by the deployment's schedule: retention may remove it (never an on-demand one). */
  scheduled: boolean;
  /** The in-place restore this backup was taken before (its safety backup); null for others. */
  safetyFor: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** How many of the newest hourly, daily, weekly and monthly backups a schedule keeps. */
export interface BackupKeep {
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
}

/** A deployment's backup schedule (docs/backup-and-migration.md); none set: enabled false, cadence null. */
export interface BackupSchedule {
  deployment: string;
  enabled: boolean;
  everyHours: number | null;
  /** HH:MM, UTC. */
  dailyAt: string | null;
  /** In words: "every 6 hours", "daily at 03:30 UTC". */
  cadence: string | null;
  keep: BackupKeep;
  nextDueAt: string | null;
  lastRunAt: string | null;
  lastResult: 'started' | 'skipped' | 'failed' | 'succeeded' | null;
  lastMessage: string | null;
  lastBackup: string | null;
  updatedAt: string | null;
}

export interface BackupScheduleInput {
  enabled?: boolean;
  everyHours?: number;
  dailyAt?: string;
  keep: BackupKeep;
}

/** A restore of a backup into a new deployment, or in place into its own deployment. */
export interface Restore {
  id: string;
  backup: string;
  deployment: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | string;
  error: string | null;
  failedPart: string | null;
  inPlace: boolean;
  /** In place: the backup of the deployment as it was before (kept); null until taken. */
  safetyBackup: string | null;
  done: number;
  total: number;
}

/** A move of a deployment to another target (docs/backup-and-migration.md, "Migration"). */
/** How one data part of a migration moved. */
export interface MigrationCopy {
  /** "parts/database/mastodon", "parts/bucket/media" */
  part: string;
  method: 'replicated' | 'copied' | string;
  /** Why it was copied rather than replicated; null when replicated. */
  reason: string | null;
  /** Bytes of changes not yet at the new side when writes stopped (replicated parts). */
  lagBytes: number | null;
}

export interface Migration {
  id: string;
  deployment: string;
  organisation: string;
  /** The target it was on, and the one it moves to. */
  from: string;
  to: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | string;
  phase: 'queued' | 'provisioning' | 'copying' | 'cutting-over' | 'rolling-back' | 'done' | string;
  error: string | null;
  failedPart: string | null;
  done: number;
  total: number;
  writesStoppedAt: string | null;
  /** From writes stopped to the passed health check (or to the roll back); null before. */
  downtimeMs: number | null;
  /** How each data part moved: replicated (PostgreSQL logical replication) or copied in full, and why. */
  copies?: MigrationCopy[];
  /** What is left at the old target after a cut-over. */
  oldSide: 'kept' | 'removing' | 'removed' | 'failed' | null;
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Only on GET /migrations/{id}. */
  journal?: { seq: number; at: string; part: string; message: string }[];
}
