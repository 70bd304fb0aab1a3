import { errorText } from '../api';
import { failure, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import { getCatalog } from '../store';
import type { App } from '../types';

function needsLine(app: App): string {
  const n = app.needs;
  if (!n) return '';
  const parts: string[] = [];
  if (n.cpu) parts.push(`${n.cpu} CPU${n.cpu === 1 ? '' : 's'}`);
  if (n.memoryMiB) parts.push(n.memoryMiB >= 1024 ? `${+(n.memoryMiB / 1024).toFixed(1)} GiB memory` : `${n.memoryMiB} MiB memory`);
  if (n.diskGiB) parts.push(`${n.diskGiB} GiB disk`);
  if (n.databases?.length) parts.push(`database (${n.databases.join(', ')})`);
  if (n.buckets?.length) parts.push('file storage');
  if (n.mail) parts.push('sends email');
  return parts.join(' · ');
}

export function appCard(app: App): HTMLElement {
  const needs = needsLine(app);
  return h(
    'article',
    { class: 'card app-card', 'data-app': app.id },
    h(
      'header',
      { class: 'app-card-head' },
      h('h2', null, app.name),
      app.activityPub ? h('span', { class: 'badge badge-ap', title: 'Talks to the rest of the Fediverse' }, 'speaks ActivityPub') : null,
    ),
    h('p', { class: 'summary' }, app.summary),
    h('p', { class: 'description' }, app.description),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Licence'),
      h('dd', { class: 'licence' }, app.licence),
      app.version ? [h('dt', null, 'Version'), h('dd', null, app.version)] : null,
      needs ? [h('dt', null, 'Needs'), h('dd', null, needs)] : null,
    ),
    h(
      'div',
      { class: 'actions' },
      link(`/new?app=${encodeURIComponent(app.id)}`, `Deploy ${app.name}`),
      app.upstream ? h('a', { href: app.upstream, target: '_blank', rel: 'noopener noreferrer', class: 'muted' }, 'Project website ↗') : null,
    ),
  );
}

export async function catalogPage({ root }: PageContext): Promise<void> {
  root.append(
    heading('Catalog'),
    h('p', { class: 'lead' }, 'The apps you can run for your organisation. Pick one or several when you create a deployment.'),
  );
  const body = h('div', null, loading('Loading the catalog…'));
  root.append(body);
  const load = async () => {
    body.replaceChildren(loading('Loading the catalog…'));
    try {
      const apps = await getCatalog();
      body.replaceChildren(
        apps.length
          ? h('div', { class: 'grid', id: 'catalog' }, apps.map(appCard))
          : h('p', { class: 'empty' }, 'The catalog is empty.'),
      );
    } catch (e) {
      body.replaceChildren(failure(`Could not load the catalog: ${errorText(e)}`, () => void load()));
    }
  };
  await load();
}
