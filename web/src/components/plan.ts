// A plan (POST /deployments/{id}/plan) as a readable list grouped by action.
import { money } from '../billing';
import { h } from '../dom';
import type { App, MonthlyEstimate, Plan, PlanAction } from '../types';
import { ACTION_HEADING, ACTION_ICON, describeAction } from '../words';

const ORDER = ['create', 'replace', 'update', 'delete', 'noop'];

function item(a: PlanAction, catalog: App[]): HTMLElement {
  const r = a.resource;
  return h(
    'li',
    { class: `plan-item action-${a.action}`, 'data-action': a.action, 'data-key': r.key, title: r.key },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, ACTION_ICON[a.action] ?? '•'),
    h('span', { class: 'what' }, describeAction(a.action, r.key, r.kind, r.name, catalog)),
    a.reason ? h('span', { class: 'reason' }, ` — ${a.reason}`) : null,
  );
}

export function summaryText(plan: Plan): string {
  const s = plan.summary ?? {};
  const parts: string[] = [];
  const counts: Record<string, number> = {};
  for (const k of ORDER) counts[k] = s[k as keyof typeof s] ?? plan.actions.filter((a) => a.action === k).length;
  if (counts.create) parts.push(`${counts.create} to create`);
  if (counts.replace) parts.push(`${counts.replace} to replace`);
  if (counts.update) parts.push(`${counts.update} to update`);
  if (counts.delete) parts.push(`${counts.delete} to delete`);
  if (counts.noop) parts.push(`${counts.noop} unchanged`);
  return parts.length ? parts.join(' · ') : 'Nothing to do';
}

const SYMBOL: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };

/** "€12.34" (or "CHF 12.34" for a currency without a symbol here). */
function price(minor: number, e: MonthlyEstimate): string {
  return (SYMBOL[e.currency] ?? `${e.currency} `) + money(minor, e.currencyDigits);
}

/** "2.0000" → "2", "0.5000" → "0.5". */
function quantity(q: string): string {
  return q.includes('.') ? q.replace(/0+$/, '').replace(/\.$/, '') : q;
}

/** The price per month before she applies: a total and its lines, or why there is none. */
export function renderEstimate(e: MonthlyEstimate | null | undefined): HTMLElement | null {
  if (e === undefined) return null; // an older server
  if (e === null)
    return h('p', { class: 'plan-estimate muted', id: 'plan-estimate', 'data-estimate': 'none' }, 'No price plan is assigned: ask your provider.');
  const row = (what: string, qty: string, amount: number, cls?: string) =>
    h('tr', { class: cls ?? null }, h('td', null, what), h('td', null, qty), h('td', { class: 'n' }, price(amount, e)));
  return h(
    'section',
    { class: 'plan-estimate', id: 'plan-estimate', 'data-total': String(e.totalMinor) },
    h('p', null, h('strong', { id: 'plan-estimate-total' }, `About ${price(e.totalMinor, e)} a month`), ` (price plan ${e.plan}${e.vatMinor ? ', VAT included' : ''})`),
    h(
      'table',
      { class: 'estimate-lines small' },
      h('tbody', null, [
        ...e.lines.map((l) => row(l.what, `${quantity(l.quantity)} ${l.unit}`, l.amountMinor)),
        e.vatMinor ? row('VAT', '', e.vatMinor, 'vat') : null,
      ]),
    ),
    h('p', { class: 'muted small' }, `Based on ${e.basis}.`),
  );
}

export function renderPlan(plan: Plan, catalog: App[]): HTMLElement {
  const changes = plan.actions.filter((a) => a.action !== 'noop');
  const groups = [...new Set([...ORDER, ...plan.actions.map((a) => a.action)])]
    .map((action) => ({ action, items: plan.actions.filter((a) => a.action === action) }))
    .filter((g) => g.items.length > 0);

  return h(
    'div',
    { class: 'plan', id: 'plan' },
    h(
      'p',
      { class: 'plan-summary', id: 'plan-summary' },
      h('strong', null, changes.length ? 'What Apply will do: ' : 'Everything is up to date. '),
      summaryText(plan),
    ),
    renderEstimate(plan.monthlyEstimate),
    plan.settingChanges?.length
      ? h(
          'section',
          { class: 'plan-group', 'data-group': 'settings' },
          h('h3', null, plan.settingChanges.length === 1 ? 'The setting that changes' : 'The settings that change'),
          h('ul', { class: 'plan-list', id: 'plan-settings' }, plan.settingChanges.map((c) => h('li', { class: 'plan-item', 'data-app': c.app, 'data-setting': c.setting ?? '' }, c.text))),
        )
      : null,
    groups.map((g) => {
      const list = h('ul', { class: 'plan-list' }, g.items.map((a) => item(a, catalog)));
      const title = `${ACTION_HEADING[g.action] ?? g.action} (${g.items.length})`;
      if (g.action === 'noop') {
        return h('details', { class: 'plan-group', 'data-group': g.action }, h('summary', null, title), list);
      }
      return h('section', { class: 'plan-group', 'data-group': g.action }, h('h3', null, title), list);
    }),
  );
}
