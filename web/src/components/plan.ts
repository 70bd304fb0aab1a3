// A plan (POST /deployments/{id}/plan) as a readable list grouped by action.
import { h } from '../dom';
import type { App, Plan, PlanAction } from '../types';
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
