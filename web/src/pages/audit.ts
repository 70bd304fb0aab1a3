// /audit — the audit log in plain words: who did what, to which object, when,
// from where, and how it ended. Operators see every row; an organisation's
// administrators see their organisations' rows (the server decides).
import { api, errorText } from '../api';
import { failure, formatDate, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import type { AuditEntry, AuditFilter } from '../types';

/** What a route or an orchestrator action did, as a sentence's verb phrase. */
const ACTIONS: Record<string, string> = {
  'POST /api/v1/auth/login': 'signed in',
  'POST /api/v1/auth/signup': 'signed up',
  'POST /api/v1/auth/logout': 'signed out',
  'POST /api/v1/auth/logout-all': 'signed out everywhere',
  'DELETE /api/v1/auth/sessions/{id}': 'ended a session',
  'POST /api/v1/auth/password': 'changed their password',
  'POST /api/v1/auth/email': 'changed their e-mail address',
  'POST /api/v1/auth/totp': 'began setting up a second factor',
  'POST /api/v1/auth/totp/confirm': 'turned on a second factor',
  'DELETE /api/v1/auth/totp': 'turned off their second factor',
  'POST /api/v1/auth/password-reset': 'asked for a password reset',
  'POST /api/v1/auth/password-reset/confirm': 'reset a password',
  'POST /api/v1/tokens': 'created an API token',
  'DELETE /api/v1/tokens/{id}': 'revoked an API token',
  'POST /api/v1/invitations/inspect': 'looked at an invitation',
  'POST /api/v1/invitations/accept': 'accepted an invitation',
  'POST /api/v1/organisations': 'created an organisation',
  'PATCH /api/v1/organisations/{id}': 'changed an organisation',
  'DELETE /api/v1/organisations/{id}': 'deleted an organisation',
  'PATCH /api/v1/organisations/{id}/members/{user}': 'changed a member’s role',
  'DELETE /api/v1/organisations/{id}/members/{user}': 'removed a member',
  'POST /api/v1/organisations/{id}/invitations': 'invited someone',
  'DELETE /api/v1/organisations/{id}/invitations/{invitation}': 'revoked an invitation',
  'POST /api/v1/organisations/{id}/domains': 'claimed a domain',
  'POST /api/v1/organisations/{id}/domains/{domain}/verify': 'checked a domain',
  'DELETE /api/v1/organisations/{id}/domains/{domain}': 'gave up a domain',
  'POST /api/v1/organisations/{id}/deployments': 'created a deployment',
  'PATCH /api/v1/deployments/{id}': 'changed a deployment',
  'DELETE /api/v1/deployments/{id}': 'deleted a deployment',
  'POST /api/v1/deployments/{id}/plan': 'planned a deployment',
  'POST /api/v1/deployments/{id}/refresh': 'asked for a refresh of a deployment',
  'POST /api/v1/orphans/scan': 'started an orphan scan',
  'POST /api/v1/deployments/{id}/apply': 'applied a deployment',
  'POST /api/v1/deployments/{id}/upgrade': 'upgraded a deployment',
  'POST /api/v1/runs/{id}/cancel': 'cancelled a run',
  'POST /api/v1/users/{id}/disable': 'disabled an account',
  'POST /api/v1/users/{id}/enable': 'enabled an account',
  'POST /api/v1/targets/{target}/ip-pools': 'created an IP pool',
  'DELETE /api/v1/ip-pools/{id}': 'deleted an IP pool',
  'run.started': 'started a run',
  'run.finished': 'finished a run',
  'step.applied': 'applied a step',
};

export function actionWords(action: string): string {
  return ACTIONS[action] ?? action;
}

export function actorWords(e: AuditEntry, myId: string | undefined): string {
  if (e.actorKind === 'system') return 'fedihost';
  if (e.actorKind === 'anonymous' || !e.actorId) return 'Someone not signed in';
  const who = e.actorId === myId ? 'You' : e.actor ? `${e.actor.email}${e.actor.operator ? ' (provider’s staff)' : ''}` : e.actorId;
  return e.actorKind === 'token' ? `${who} (API token ${e.via})` : who;
}

export function outcomeWords(e: AuditEntry): { text: string; cls: string } {
  switch (e.outcome) {
    case 'ok':
    case 'succeeded':
    case 'started':
    case 'created':
    case 'updated':
    case 'replaced':
    case 'deleted':
      return { text: e.status ? `${e.outcome} (${e.status})` : e.outcome, cls: 'status-ready' };
    case 'refused':
      return { text: `refused (${e.status})`, cls: 'status-failed' };
    case 'unanswered':
      return { text: 'done, not answered (the server stopped)', cls: 'status-applying' };
    default:
      return { text: e.status ? `${e.outcome} (${e.status})` : e.outcome, cls: 'status-failed' };
  }
}

/** A date input's day as the start of that day in UTC (to: the start of the next day). */
function dayBound(value: string, next: boolean): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (next) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function auditPage({ root, signal }: PageContext): Promise<void> {
  if (!session.can('organisation.manage')) {
    root.append(heading('Audit log'), h('p', { class: 'empty', id: 'audit-forbidden' }, 'Only the provider’s staff and organisation administrators can see the audit log.'));
    return;
  }
  const myId = session.user()?.id;
  const body = h('tbody');
  const status = h('div', null, loading('Loading the audit log…'));
  const more = h('button', { type: 'button', class: 'button-quiet', hidden: true }, 'Show older');

  const from = h('input', { type: 'date', id: 'audit-from', name: 'from' });
  const to = h('input', { type: 'date', id: 'audit-to', name: 'to' });
  const actor = h('input', { type: 'text', id: 'audit-actor', name: 'actor', placeholder: 'usr_…, tok_…', autocomplete: 'off' });
  const object = h('input', { type: 'text', id: 'audit-object', name: 'object', placeholder: 'dep_…, org_…, run_…', autocomplete: 'off' });
  const action = h(
    'select',
    { id: 'audit-action', name: 'action' },
    h('option', { value: '' }, 'Anything'),
    h('option', { value: 'run.*' }, 'Runs (orchestrator)'),
    ...Object.entries(ACTIONS)
      .filter(([k]) => !k.startsWith('run.'))
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([k, v]) => h('option', { value: k }, v)),
  );
  const orgs = session.isOperator() ? [] : session.memberships().filter((m) => m.role === 'org-admin');
  const organisation = h(
    'select',
    { id: 'audit-organisation', name: 'organisation', hidden: orgs.length < 2 },
    h('option', { value: '' }, 'All my organisations'),
    ...orgs.map((o) => h('option', { value: o.id }, o.displayName || o.name)),
  );
  const field = (label: string, input: HTMLElement) => h('label', { class: 'field' }, h('span', null, label), input);
  const form = h(
    'form',
    { class: 'filters', id: 'audit-filters' },
    field('From', from),
    field('To', to),
    field('Who', actor),
    field('Object', object),
    field('What', action),
    orgs.length >= 2 ? field('Organisation', organisation) : null,
    h('button', { type: 'submit' }, 'Show'),
  );

  // The check that nobody edited the log, and the export of what the filters show.
  const verdict = h('div', { id: 'audit-verdict', role: 'status' });
  const check = h('button', { type: 'button', id: 'audit-verify' }, 'Check that the log is intact');
  const exportLink = h('a', { id: 'audit-export', class: 'button button-quiet', href: api.auditExportUrl({}), download: 'audit-log.jsonl' }, 'Export as JSON lines');
  check.addEventListener('click', async () => {
    check.disabled = true;
    verdict.replaceChildren(loading('Checking every row of the log…'));
    try {
      const v = await api.auditVerification();
      if (signal.aborted) return;
      const rows = `${v.rows.toLocaleString('en')} ${v.rows === 1 ? 'row' : 'rows'}`;
      const signed = v.signedHead ? ` The installation signed the chain’s head at ${formatDate(v.signedHead.at)} (row ${v.signedHead.seq}).` : '';
      verdict.replaceChildren(
        v.intact
          ? h('p', { class: 'notice notice-ok' }, h('strong', null, 'Intact. '), `${rows} checked at ${formatDate(v.checkedAt)}: no row was edited, removed or reordered.${signed}`)
          : h(
              'p',
              { class: 'notice notice-error' },
              h('strong', null, 'Not intact. '),
              `${v.problem ?? 'The log does not verify.'}${v.firstBadRow ? ` First bad row: ${v.firstBadRow.seq} (${v.firstBadRow.eventId}).` : ''}`,
            ),
      );
    } catch (e) {
      if (!signal.aborted) verdict.replaceChildren(failure(`Could not check the log: ${errorText(e)}`));
    } finally {
      check.disabled = false;
    }
  });

  root.append(
    heading('Audit log'),
    h(
      'p',
      { class: 'muted' },
      session.isOperator()
        ? 'Everything done on this installation: every change asked through the API or the panel, and every run of the orchestrator. The log is append-only and hash-chained: “fedihost audit verify” checks that no row was edited, removed or reordered.'
        : 'Everything done in your organisations: who changed what, and when. The log cannot be edited.',
    ),
    h('section', { class: 'card', id: 'audit-integrity' }, h('div', { class: 'actions' }, check, exportLink), verdict),
    h('section', { class: 'card' }, form),
    h(
      'section',
      { class: 'card' },
      h(
        'table',
        { class: 'table', id: 'audit' },
        h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Who'), h('th', null, 'What'), h('th', null, 'Object'), h('th', null, 'From'), h('th', null, 'Outcome'))),
        body,
      ),
      status,
      more,
    ),
  );

  function row(e: AuditEntry): HTMLElement {
    const outcome = outcomeWords(e);
    return h(
      'tr',
      { 'data-seq': String(e.seq), 'data-action': e.action },
      h('td', { class: 'small', title: e.at }, formatDate(e.at)),
      h('td', null, actorWords(e, myId)),
      h('td', { title: e.method ? `${e.method} ${e.path}` : e.action }, actionWords(e.action)),
      h('td', { class: 'small mono' }, e.objectId || '—'),
      h('td', { class: 'small' }, e.remote || '—'),
      h('td', null, h('span', { class: `badge ${outcome.cls}` }, outcome.text)),
    );
  }

  let cursor: string | null = null;
  let filter: AuditFilter = {};
  const load = async (fresh: boolean) => {
    if (fresh) {
      cursor = null;
      body.replaceChildren();
    }
    status.replaceChildren(loading('Loading the audit log…'));
    more.hidden = true;
    try {
      const page = await api.audit(filter, cursor);
      if (signal.aborted) return;
      body.append(...page.items.map(row));
      cursor = page.next;
      more.hidden = !cursor;
      status.replaceChildren(body.children.length ? '' : h('p', { class: 'empty' }, 'Nothing matches.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load the audit log: ${errorText(e)}`, () => void load(false)));
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filter = {
      from: dayBound(from.value, false),
      to: dayBound(to.value, true),
      actor: actor.value.trim() || undefined,
      object: object.value.trim() || undefined,
      action: action.value || undefined,
      organisation: organisation.value || undefined,
    };
    exportLink.href = api.auditExportUrl(filter);
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  await load(true);
}
