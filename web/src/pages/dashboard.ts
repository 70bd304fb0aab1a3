// The start page after login: her organisation's deployments with their status,
// apps and addresses, and what needs her attention (failed runs, drift, changes
// not applied yet). Operators see the same across every organisation.
import { api, errorText } from '../api';
import { failure, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import { appName, getCatalog } from '../store';
import type { App, Deployment, Organisation } from '../types';
import { plural, statusBadge } from '../words';

/** Days within which an expiring TLS certificate needs her attention. */
const CERTIFICATE_WARNING_DAYS = 21;

/** Whole days until the deployment's certificate expires, if it does within the warning period. */
export function certificateExpiresInDays(d: Deployment, now: number = Date.now()): number | null {
  if (!d.certificate || d.status === 'deleted' || d.status === 'deleting') return null;
  const until = Date.parse(d.certificate.notAfter);
  if (Number.isNaN(until)) return null;
  const days = Math.floor((until - now) / 86_400_000);
  return days < CERTIFICATE_WARNING_DAYS ? days : null;
}

/** What a deployment in this status asks of her, or null when nothing. */
function attention(d: Deployment): string | null {
  const why = statusAttention(d);
  const days = certificateExpiresInDays(d);
  if (days === null) return why;
  const expiry =
    days < 0
      ? 'Its TLS certificate has expired: applying renews it.'
      : `Its TLS certificate expires ${days === 0 ? 'today' : `in ${plural(days, 'day')}`}: applying renews it.`;
  return why ? `${why} ${expiry}` : expiry;
}

function statusAttention(d: Deployment): string | null {
  switch (d.status) {
    case 'failed':
      return d.lastRun?.error ? `The last run failed: ${d.lastRun.error}.` : 'The last run failed.';
    case 'drifted':
      return `${plural(d.drift?.count ?? 0, 'resource')} changed outside fedihost; applying repairs ${(d.drift?.count ?? 0) === 1 ? 'it' : 'them'}.`;
    case 'changes pending':
      return d.lastRun ? 'Changed since the last apply: review the plan and apply it.' : 'Not applied yet: review the plan and apply it.';
    default:
      return null;
  }
}

function appRow(d: Deployment, a: Deployment['apps'][number], catalog: App[]): HTMLElement {
  const live = !!a.url && d.status !== 'deleted' && d.status !== 'deleting' && (a.live ?? d.status === 'ready');
  return h(
    'li',
    { 'data-app': a.app },
    h('span', { class: 'app-name' }, `${appName(catalog, a.app)} `),
    live
      ? h('a', { href: a.url!, target: '_blank', rel: 'noopener noreferrer', class: 'app-url' }, a.url!)
      : h('span', { class: 'app-url-pending' }, a.url ? h('code', { class: 'url' }, a.url) : '', ' ', h('span', { class: 'badge status-changes-pending', 'data-pending': 'true' }, 'pending')),
  );
}

function deploymentCard(d: Deployment, catalog: App[]): HTMLElement {
  const why = attention(d);
  return h(
    'li',
    { class: 'dash-deployment', 'data-deployment': d.id, 'data-status': d.status },
    h('div', { class: 'dash-head' }, link(`/deployments/${encodeURIComponent(d.id)}`, h('strong', null, d.name)), ' ', statusBadge(d.status), h('span', { class: 'muted small' }, ` ${d.domain}`)),
    h('ul', { class: 'dash-apps' }, d.apps.map((a) => appRow(d, a, catalog))),
    why ? h('p', { class: 'dash-attention small', 'data-attention': d.status }, why) : null,
  );
}

export async function dashboardPage({ root, signal }: PageContext): Promise<void> {
  const title = session.isOperator() ? 'All organisations' : 'Your deployments';
  root.append(heading(title), loading('Loading deployments…'));
  let orgs: Organisation[];
  let catalog: App[];
  try {
    [orgs, catalog] = await Promise.all([api.allOrganisations(), getCatalog().catch(() => [] as App[])]);
  } catch (e) {
    root.replaceChildren(heading(title), failure(errorText(e)));
    return;
  }
  if (signal.aborted) return;
  // a customer in several organisations sees the one she chose first
  const current = session.currentOrganisation();
  if (!session.isOperator() && current) orgs = [...orgs.filter((o) => o.id === current), ...orgs.filter((o) => o.id !== current)];
  const byOrg: { org: Organisation; deployments: Deployment[]; error?: string }[] = await Promise.all(
    orgs.map(async (org) => {
      try {
        return { org, deployments: (await api.deployments(org.id)).items };
      } catch (e) {
        return { org, deployments: [], error: errorText(e) };
      }
    }),
  );
  if (signal.aborted) return;

  const all = byOrg.flatMap((g) => g.deployments.map((d) => ({ org: g.org, d })));
  const needs = all.filter(({ d }) => attention(d) !== null);
  const attentionCard = h(
    'section',
    { class: 'card', id: 'attention' },
    h('h2', null, 'Needs attention'),
    needs.length
      ? h(
          'ul',
          { class: 'plan-list', id: 'attention-list' },
          needs.map(({ org, d }) =>
            h(
              'li',
              { class: 'plan-item', 'data-deployment': d.id, 'data-status': d.status, 'data-certificate-expiring': certificateExpiresInDays(d) !== null ? 'true' : null },
              statusBadge(d.status),
              ' ',
              link(`/deployments/${encodeURIComponent(d.id)}`, d.name),
              orgs.length > 1 ? h('span', { class: 'muted small' }, ` (${org.displayName || org.name})`) : null,
              h('span', { class: 'reason' }, ` — ${attention(d)}`),
            ),
          ),
        )
      : h('p', { id: 'attention-none' }, all.length ? 'Nothing: every deployment runs as it was applied.' : 'Nothing yet.'),
  );

  const groups = byOrg.map((g) =>
    h(
      'section',
      { class: 'card', 'data-organisation': g.org.id },
      h(
        'div',
        { class: 'section-head' },
        h('h2', null, link(`/organisations/${encodeURIComponent(g.org.id)}`, g.org.displayName || g.org.name)),
        h('span', { class: 'muted small' }, plural(g.deployments.length, 'deployment')),
      ),
      g.error
        ? failure(`Could not load its deployments: ${g.error}`)
        : g.deployments.length
          ? h('ul', { class: 'dash-list' }, g.deployments.map((d) => deploymentCard(d, catalog)))
          : h(
              'p',
              { class: 'empty' },
              'No deployment yet. ',
              session.can('deployment.write', g.org.id) ? link(`/organisations/${encodeURIComponent(g.org.id)}/new`, 'Create one') : null,
            ),
    ),
  );

  root.replaceChildren(
    heading(title),
    ...(orgs.length === 0
      ? [h('p', { class: 'empty' }, session.isOperator() ? ['No organisation yet. ', link('/organisations', 'Create one')] : 'You do not belong to any organisation yet. Ask for an invitation.')]
      : [attentionCard, ...groups]),
  );
}
