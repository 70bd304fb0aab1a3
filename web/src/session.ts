// Who is signed in (GET /auth/me) and what she may do: the one place the
// panel decides which buttons, links and pages a role gets (docs/accounts.md).
// The server checks every request anyway; this only keeps people from being
// offered what they would be refused.
import { whoAmI } from './api';
import type { Me, Membership, User } from './types';

let me: Me | null = null;
const listeners = new Set<() => void>();

/** The signed-in user and her organisations, or null. */
export function current(): Me | null {
  return me;
}

export function signedIn(): boolean {
  return me !== null;
}

export function user(): User | null {
  return me?.user ?? null;
}

/** Asks the server who is signed in (the cookie); null when no one is. */
export async function refresh(): Promise<Me | null> {
  me = await whoAmI();
  for (const fn of listeners) fn();
  return me;
}

/** Forgets the user (after logging out or a 401). */
export function forget(): void {
  me = null;
  for (const fn of listeners) fn();
}

/** Called whenever the user or her organisations change. */
export function onChange(fn: () => void): void {
  listeners.add(fn);
}

/**
 * Operators are the provider's staff: a property of the account. Servers of
 * the tenancy contract say `isOperator` (or `operator`); older ones said
 * `role: "operator"`.
 */
export function isOperator(u: User | null | undefined = me?.user): boolean {
  if (!u) return false;
  return u.isOperator === true || u.operator === true || u.role === 'operator';
}

export function memberships(): Membership[] {
  return me?.organisations ?? [];
}

/** The user's role in an organisation: "operator" for operators, else her grant, else null. */
export function roleIn(orgId: string | null | undefined): string | null {
  if (isOperator()) return 'operator';
  if (!orgId) return null;
  return memberships().find((o) => o.id === orgId)?.role ?? null;
}

const RANK: Record<string, number> = { viewer: 1, member: 2, 'org-admin': 3, operator: 4 };

/** What may be done, and the weakest role that may do it. */
const NEEDS = {
  /** see deployments, runs and plans */
  view: 'viewer',
  /** create, edit and delete deployments */
  'deployment.write': 'member',
  /** plan, apply, refresh, upgrade, cancel runs */
  'deployment.deploy': 'member',
  /** a deployment's backup schedule and retention (what is kept and removed) */
  'backup.schedule': 'org-admin',
  /** see the apps' first administrator logins, with their passwords */
  'admin-login.reveal': 'org-admin',
  /** members, invitations, domains, rename, second factor rule, delete */
  'organisation.manage': 'org-admin',
  /** new organisations, targets, IP pools, orphans, users */
  'operator': 'operator',
} as const;

export type Action = keyof typeof NEEDS;

/**
 * May the user do `action` in the organisation `orgId`? Without an
 * organisation: in at least one of hers (operators: everywhere).
 */
export function can(action: Action, orgId?: string | null): boolean {
  if (!me) return false;
  const need = RANK[NEEDS[action]] ?? Infinity;
  if (isOperator()) return true;
  if (need >= RANK.operator) return false;
  if (orgId === undefined || orgId === null) return memberships().some((o) => (RANK[o.role] ?? 0) >= need);
  return (RANK[roleIn(orgId) ?? ''] ?? 0) >= need;
}

// ---- the organisation the person is working in (for the header's switcher) ----

const ORG_KEY = 'fedihost.organisation';
let currentOrg: string | null = (() => {
  try {
    return sessionStorage.getItem(ORG_KEY);
  } catch {
    return null;
  }
})();

export function currentOrganisation(): string | null {
  const list = memberships();
  if (currentOrg && list.some((o) => o.id === currentOrg)) return currentOrg;
  return list[0]?.id ?? null;
}

/** Pages of an organisation (and of its deployments) say which one is in view. */
export function setCurrentOrganisation(id: string): void {
  if (currentOrg === id) return;
  currentOrg = id;
  try {
    sessionStorage.setItem(ORG_KEY, id);
  } catch {
    /* memory only */
  }
  for (const fn of listeners) fn();
}

/** Where "home" is: the dashboard (her deployments and what needs attention). */
export function homePath(): string {
  if (!me) return '/login';
  return '/dashboard';
}
