import { api, ApiError, errorText } from '../api';
import { failure, formatDate, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import { appName, getCatalog } from '../store';
import type { App, Deployment, Organisation } from '../types';
import { roleLabel, statusBadge } from '../words';
import { deleteCard, domainsCard, invitationsCard, membersCard, settingsCard } from '../components/orgAdmin';

/** A deployment in a list: its name (a link to its page), domain, one line of detail and its status. */
function listRow(d: Deployment, detail: string): HTMLElement {
  return h(
    'li',
    { class: 'list-row', 'data-deployment': d.id },
    h(
      'div',
      null,
      link(`/deployments/${encodeURIComponent(d.id)}`, h('strong', null, d.name)),
      h('span', { class: 'muted' }, ` · ${d.domain}`),
      h('div', { class: 'muted small' }, detail),
    ),
    statusBadge(d.status),
  );
}

function deploymentRow(d: Deployment, catalog: App[]): HTMLElement {
  return listRow(d, d.apps.map((a) => appName(catalog, a.app)).join(', ') || 'no apps');
}

/** A deleted deployment that a restore can bring back: its page holds its backups. */
function deletedRow(d: Deployment): HTMLElement {
  return listRow(d, `Deleted ${formatDate(d.deletedAt ?? d.updatedAt ?? '')}. Open it to restore a backup.`);
}

export async function organisationPage({ root, params, signal }: PageContext): Promise<void> {
  const id = params.id ?? '';
  root.append(loading('Loading organisation…'));
  let org: Organisation;
  try {
    org = await api.organisation(id);
  } catch (e) {
    const missing = e instanceof ApiError && e.status === 404;
    root.replaceChildren(
      heading(missing ? 'Organisation not found' : 'Organisation'),
      missing
        ? h('p', { class: 'empty', id: 'organisation-missing' }, 'There is no such organisation, or you are not one of its members.')
        : failure(errorText(e)),
      h('p', null, link('/organisations', '← Your organisations')),
    );
    return;
  }
  if (signal.aborted) return;
  if (session.roleIn(org.id) && !session.isOperator()) session.setCurrentOrganisation(org.id);
  const membership = session.memberships().find((m) => m.id === org.id);
  if (org.requireTotp === undefined && membership?.requireTotp !== undefined) org = { ...org, requireTotp: membership.requireTotp };

  const canWrite = session.can('deployment.write', org.id);
  const canManage = session.can('organisation.manage', org.id);
  const role = session.roleIn(org.id);

  let newLink: HTMLAnchorElement | null = null;
  if (canWrite) {
    newLink = link(`/new?organisation=${encodeURIComponent(org.id)}`, 'New deployment');
    newLink.classList.add('button', 'button-primary');
    newLink.id = 'new-deployment';
  }
  const list = h('ul', { class: 'list', id: 'deployments' });
  const status = h('div', null, loading('Loading deployments…'));
  const more = h('button', { type: 'button', class: 'button-quiet', hidden: true }, 'Show more');
  const title = heading(org.displayName || org.name);
  const facts = h(
    'p',
    { class: 'muted' },
    `Short name ${org.name} · created ${formatDate(org.createdAt)}`,
    role ? [' · ', h('span', { id: 'your-role', 'data-role': role }, `you are ${role === 'operator' ? 'provider staff' : roleLabel(role)}`)] : null,
  );

  const admin: HTMLElement[] = [];
  if (canManage) {
    const members = membersCard(org, signal);
    void members.load();
    admin.push(
      members.element,
      invitationsCard(org, signal),
      domainsCard(org, signal),
      settingsCard(org, (o) => {
        org = o;
        title.textContent = o.displayName || o.name;
        document.title = `${o.displayName || o.name} · fedihost`;
      }),
      deleteCard(org),
    );
  }

  // Deleted deployments with a backup left, shown only when there are some, 50 at a time.
  const deletedList = h('ul', { class: 'list', id: 'deleted-deployments' });
  const deletedStatus = h('div');
  const moreDeleted = h('button', { type: 'button', class: 'button-quiet', hidden: true, id: 'more-deleted' }, 'Show more');
  const deletedCard = h(
    'section',
    { class: 'card', id: 'deleted-card', hidden: true },
    h('h2', null, 'Deleted, with backups'),
    h('p', { class: 'muted' }, 'These deployments were deleted, but their backups are kept: each can be brought back at its address.'),
    deletedList,
    deletedStatus,
    moreDeleted,
  );
  let deletedCursor: string | null = null;
  const loadDeleted = async () => {
    moreDeleted.hidden = true;
    deletedStatus.replaceChildren();
    try {
      const page = await api.deletedDeployments(org.id, deletedCursor);
      if (signal.aborted) return;
      deletedList.append(...page.items.map(deletedRow));
      deletedCursor = page.next;
      moreDeleted.hidden = !deletedCursor;
      deletedCard.hidden = deletedList.children.length === 0;
    } catch (e) {
      deletedStatus.replaceChildren(failure(`Could not load the deleted deployments: ${errorText(e)}`, () => void loadDeleted()));
      deletedCard.hidden = false;
    }
  };
  moreDeleted.addEventListener('click', () => void loadDeleted());

  root.replaceChildren(
    h('p', { class: 'crumbs' }, link('/organisations', 'Organisations'), ' / '),
    title,
    facts,
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'section-head' }, h('h2', null, 'Deployments'), newLink),
      list,
      status,
      more,
    ),
    deletedCard,
    ...admin,
  );
  void loadDeleted();
  let cursor: string | null = null;
  const load = async () => {
    status.replaceChildren(loading('Loading deployments…'));
    more.hidden = true;
    try {
      const [page, catalog] = await Promise.all([api.deployments(org.id, cursor), getCatalog().catch(() => [] as App[])]);
      if (signal.aborted) return;
      list.append(...page.items.map((d) => deploymentRow(d, catalog)));
      cursor = page.next;
      more.hidden = !cursor;
      status.replaceChildren(
        list.children.length
          ? ''
          : h(
              'p',
              { class: 'empty' },
              canWrite
                ? 'No deployment yet. Create one to get Mastodon, Pixelfed or PeerTube under your own domain.'
                : 'No deployment yet. Members and administrators of this organisation can create them.',
            ),
      );
    } catch (e) {
      status.replaceChildren(failure(`Could not load deployments: ${errorText(e)}`, () => void load()));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
