// Types of the fedihost HTTP API v1 (see docs/api.md).

export interface User {
  id: string;
  email: string;
  role: string;
  createdAt: string;
}

export interface LoginAnswer {
  token: string;
  user: User;
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
}

export interface SettingsSchema {
  type?: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
}

export interface AppNeeds {
  cpu?: number;
  memoryMiB?: number;
  diskGiB?: number;
  databases?: string[];
  buckets?: string[];
  mail?: boolean;
  ports?: number[];
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
  needs?: AppNeeds;
  settingsSchema?: SettingsSchema;
}

export interface Organisation {
  id: string;
  name: string;
  displayName?: string | null;
  createdAt: string;
}

export type DeploymentStatus =
  | 'new'
  | 'applying'
  | 'ready'
  | 'failed'
  | 'deleting'
  | 'deleted';

export interface DeploymentApp {
  app: string;
  settings?: Record<string, unknown>;
  url?: string | null;
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
  targetPath?: string | null;
  lastRun?: Run | null;
  createdAt: string;
  updatedAt?: string;
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
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
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
}

/** An RFC 7807 problem document, as every API error is. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  field?: string;
}
