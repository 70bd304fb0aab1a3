import { api, errorText } from '../api';
import { failure, formatDate, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import { appName, getCatalog } from '../store';
import type { App, Deployment } from '../types';
import { statusBadge } from '../words';

function deploymentRow(d: Deployment, catalog: App[]): HTMLElement {
  return h(
    'li',
    { class: 'list-row', 'data-deployment': d.id },
    h(
      'div',
      null,
      link(`/deployments/${encodeURIComponent(d.id)}`, h('strong', null, d.name)),
      h('span', { class: 'muted' }, ` · ${d.domain}`),
      h('div', { class: 'muted small' }, d.apps.map((a) => appName(catalog, a.app)).join(', ') || 'no apps'),
    ),
    statusBadge(d.status),
  );
}

export async function organisationPage({ root, params, signal }: PageContext): Promise<void> {
  const id = params.id ?? '';
  root.append(loading('Loading organisation…'));
  let org;
  try {
    org = await api.organisation(id);
  } catch (e) {
    root.replaceChildren(heading('Organisation'), failure(errorText(e)), h('p', null, link('/organisations', '← All organisations')));
    return;
  }
  if (signal.aborted) return;
  const newLink = link(`/new?organisation=${encodeURIComponent(org.id)}`, 'New deployment');
  newLink.classList.add('button', 'button-primary');
  newLink.id = 'new-deployment';
  const list = h('ul', { class: 'list', id: 'deployments' });
  const status = h('div', null, loading('Loading deployments…'));
  const more = h('button', { type: 'button', class: 'button-quiet', hidden: true }, 'Show more');
  root.replaceChildren(
    h('p', { class: 'crumbs' }, link('/organisations', 'Organisations'), ' / '),
    heading(org.displayName || org.name),
    h('p', { class: 'muted' }, `Short name ${org.name} · created ${formatDate(org.createdAt)}`),
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'section-head' }, h('h2', null, 'Deployments'), newLink),
      list,
      status,
      more,
    ),
  );
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
        list.children.length ? '' : h('p', { class: 'empty' }, 'No deployment yet. Create one to get Mastodon, Pixelfed or PeerTube under your own domain.'),
      );
    } catch (e) {
      status.replaceChildren(failure(`Could not load deployments: ${errorText(e)}`, () => void load()));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
