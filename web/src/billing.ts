// The billing part of the API (docs/billing.md): usage, statements, price plans.
// Money is in integer minor units of the plan's currency; hours are exact decimals as text.
import { json } from './api';

const enc = encodeURIComponent;

export interface UsageQuantity {
  hours: string;
  quantitySeconds: number;
}
export type UsageTotals = Record<string, UsageQuantity | Record<string, string>> & {
  machineHoursBySize: Record<string, string>;
};
export interface UsagePeriod {
  from: string;
  to: string;
  total: UsageTotals;
  deployments: Record<string, UsageTotals>;
}
export interface UsageUnit {
  unit: string;
  description: string;
  hours: string;
}
export interface Usage {
  organisation: string;
  from: string;
  to: string;
  step: 'hour' | 'day' | 'month';
  measuredUntil: string;
  units: UsageUnit[];
  total: UsageTotals;
  deployments: Record<string, UsageTotals>;
  periods: UsagePeriod[];
}

export interface StatementLine {
  kind: 'base' | 'usage' | 'adjustment';
  unit: string | null;
  description: string;
  quantity: string;
  quantityUnit: string;
  unitPrice: number;
  amount: number;
}
export interface Statement {
  organisation: string;
  month: string;
  from: string;
  to: string;
  closed: boolean;
  closedAt: string | null;
  computedAt: string;
  plan: { id: string; name: string };
  currency: string;
  currencyDigits: number;
  lines: StatementLine[];
  subtotal: number;
  vatRate: number;
  vat: number;
  total: number;
}

/** This month at its end if what runs now keeps running (GET …/forecast). */
export interface Forecast extends Omit<Statement, 'closed' | 'closedAt' | 'lines'> {
  lines: (StatementLine & { soFar: number })[];
  asOf: string;
  secondsLeft: number;
  hoursLeft: string;
  runningNow: { unit: string; description: string; quantity: string; hours: string }[];
  soFar: { subtotal: number; vat: number; total: number };
}

/** One organisation's statement of a month in the operators' list. */
export interface OrganisationStatement {
  organisation: { id: string; name: string; displayName: string };
  plan: { id: string; name: string } | null;
  statement: { closed: boolean; currency: string; currencyDigits: number; subtotal: number; vat: number; total: number } | null;
  forecast: { total: number; asOf: string } | null;
  reason?: string;
  /** false when the month ended before the organisation was created (it owes nothing for it). */
  existed?: boolean;
}

/** A page of every organisation's statement of a month, for operators (GET /statements?month=&cursor=). */
export interface StatementPage {
  month: string;
  open: boolean;
  items: OrganisationStatement[];
  next: string | null;
}

/** A month's totals per currency over every organisation (GET /statements/totals?month=). */
export interface StatementTotals {
  month: string;
  open: boolean;
  asOf?: string;
  organisations: number;
  withoutPlan: number;
  totals: { currency: string; currencyDigits: number; organisations: number; subtotal: number; vat: number; total: number; forecast: number | null }[];
}

export interface PricePlan {
  id: string;
  name: string;
  currency: string;
  currencyDigits: number;
  baseFee: number;
  vatRate: number;
  prices: Record<string, number>;
  included: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}
export type PricePlanInput = Omit<PricePlan, 'id' | 'currencyDigits' | 'createdAt' | 'updatedAt'>;

/** The metered units, in statement order (as the server's units()). */
export const UNITS: { key: string; label: string }[] = [
  { key: 'machine', label: 'Machines' },
  { key: 'vcpu', label: 'vCPUs' },
  { key: 'ram_gib', label: 'RAM (GiB)' },
  { key: 'disk_gib', label: 'Disk (GiB)' },
  { key: 'bucket', label: 'Buckets' },
  { key: 'stored_gib', label: 'Bucket storage (GiB)' },
  { key: 'database', label: 'Databases' },
  { key: 'mail_account', label: 'Mail accounts' },
  { key: 'ip_address', label: 'IP addresses' },
  { key: 'certificate', label: 'Certificates' },
];

export const billing = {
  usage: (org: string, from: string, to: string, step: string, signal?: AbortSignal) =>
    json<Usage>(`/organisations/${enc(org)}/usage?from=${enc(from)}&to=${enc(to)}&step=${enc(step)}`, { signal }),
  statement: (org: string, month: string) => json<Statement>(`/organisations/${enc(org)}/statements/${enc(month)}`),
  forecast: (org: string) => json<Forecast>(`/organisations/${enc(org)}/forecast`),
  allStatements: (month: string, cursor: string | null, signal?: AbortSignal) =>
    json<StatementPage>(`/statements?month=${enc(month)}${cursor ? `&cursor=${enc(cursor)}` : ''}`, { signal }),
  statementTotals: (month: string, signal?: AbortSignal) => json<StatementTotals>(`/statements/totals?month=${enc(month)}`, { signal }),
  /** The printable page (opened as a normal navigation: the session cookie signs it). */
  statementPageUrl: (org: string, month: string) => `/api/v1/organisations/${enc(org)}/statements/${enc(month)}?format=html`,
  statementCsvUrl: (org: string, month: string) => `/api/v1/organisations/${enc(org)}/statements/${enc(month)}?format=csv`,
  organisationPlan: (org: string) =>
    json<{ organisation: string; plan: PricePlan | null }>(`/organisations/${enc(org)}/price-plan`),
  assignPlan: (org: string, plan: string) =>
    json<{ organisation: string; plan: PricePlan }>(`/organisations/${enc(org)}/price-plan`, { method: 'PUT', body: { plan } }),
  plans: async () => (await json<{ items: PricePlan[] }>('/price-plans')).items,
  createPlan: (body: PricePlanInput) => json<PricePlan>('/price-plans', { method: 'POST', body }),
  addAdjustment: (org: string, body: { description: string; amount: number; month?: string }) =>
    json<unknown>(`/organisations/${enc(org)}/adjustments`, { method: 'POST', body }),
};

/** Minor units as a decimal with the currency's digits: money(-1234, 2) = "-12.34". */
export function money(minor: number, digits: number): string {
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = digits ? s.slice(0, s.length - digits) : s;
  const frac = digits ? '.' + s.slice(s.length - digits) : '';
  return (neg ? '-' : '') + whole + frac;
}

/** A decimal like "12.50" (in major units) as minor units; null when it is not one. */
export function parseMoney(text: string, digits: number): number | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.length > digits) return null;
  const n = Number(m[2]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return m[1] ? -n : n;
}

/** "YYYY-MM" of the current UTC month. */
export function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}
