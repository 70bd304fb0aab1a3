// /catalog/:id — one app: what it is, what it needs, its strengths and
// weaknesses, how it is backed up, and a button to deploy it.
import { api, ApiError, errorText } from '../api';
import { failure, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import type { App } from '../types';
import { categoryLabel } from '../words';
import { activityPubBadge, backupBlock, licenceText, needsList, swotBoxes } from '../components/appFacts';

/** "Deploy this app", for people who may create deployments somewhere (else nothing). */
export function deployLink(app: App, label = 'Deploy this app'): HTMLAnchorElement | null {
  if (!session.can('deployment.write')) return null;
  const a = link(`/new?app=${encodeURIComponent(app.id)}`, label);
  a.classList.add('button', 'button-primary', 'deploy-link');
  return a;
}

export async function appPage({ root, params, signal }: PageContext): Promise<void> {
  const id = params.id ?? '';
  const crumbs = h('p', { class: 'crumbs' }, link('/catalog', 'Catalog'), ' / ');
  root.append(crumbs, loading('Loading the app…'));
  let app: App;
  try {
    app = await api.catalogApp(id);
  } catch (e) {
    if (signal.aborted) return;
    const text = e instanceof ApiError && e.status === 404 ? `There is no app called “${id}” in the catalog.` : `Could not load the app: ${errorText(e)}`;
    root.replaceChildren(crumbs, heading('App'), failure(text), h('p', null, link('/catalog', '← Back to the catalog')));
    return;
  }
  if (signal.aborted) return;

  const compare = link(`/catalog?compare=${encodeURIComponent(app.id)}`, 'Compare with other apps');
  root.replaceChildren(
    crumbs,
    h('div', { class: 'title-row' }, heading(app.name), activityPubBadge(app), h('span', { class: 'badge', id: 'app-category' }, categoryLabel(app.category))),
    h('p', { class: 'lead summary', id: 'app-summary' }, app.summary),
    h(
      'section',
      { class: 'card app-intro' },
      h('p', { class: 'description', id: 'app-description' }, app.description),
      h(
        'dl',
        { class: 'facts', id: 'app-facts' },
        h('dt', null, 'Kind'),
        h('dd', null, categoryLabel(app.category)),
        h('dt', null, 'Licence'),
        h('dd', null, licenceText(app.licence)),
        h('dt', null, 'Fediverse'),
        h('dd', null, app.activityPub ? 'Yes: it speaks ActivityPub, so people elsewhere in the Fediverse can follow and reply.' : 'No: it does not speak ActivityPub.'),
        app.version ? [h('dt', null, 'Version'), h('dd', { id: 'app-version' }, app.version)] : null,
        app.upstream
          ? [h('dt', null, 'Project'), h('dd', null, h('a', { href: app.upstream, target: '_blank', rel: 'noopener noreferrer', id: 'app-upstream' }, app.upstream.replace(/^https?:\/\//, '').replace(/\/$/, ''), ' ↗'))]
          : null,
      ),
      h('div', { class: 'actions' }, deployLink(app), compare),
    ),
    h('section', { class: 'card', id: 'app-needs' }, h('h2', null, 'What it needs'), needsList(app)),
    h('section', { class: 'card', id: 'app-swot' }, h('h2', null, 'Strengths and weaknesses'), swotBoxes(app)),
    h('section', { class: 'card', id: 'app-backup' }, h('h2', null, 'Backups'), backupBlock(app)),
    h('div', { class: 'actions' }, deployLink(app, `Deploy ${app.name}`), link('/catalog', '← Back to the catalog')),
  );
}
