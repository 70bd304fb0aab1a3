// /compare?apps=peertube,owncast[,…] — two or three apps side by side: one
// column per app, one row per aspect (summary, licence, needs, SWOT, backups).
import { errorText } from '../api';
import { failure, h, heading, link, loading, setChildren, type Child } from '../dom';
import type { PageContext } from '../router';
import { getCatalog } from '../store';
import type { App } from '../types';
import { categoryLabel } from '../words';
import { activityPubBadge, backupBlock, licenceText, needsList, SWOT_PARTS, swotList } from '../components/appFacts';
import { MAX_COMPARE } from './catalog';
import { deployLink } from './app';

interface Aspect {
  key: string;
  title: string;
  hint?: string;
  cell: (app: App) => Child;
}

const ASPECTS: Aspect[] = [
  { key: 'summary', title: 'In one line', cell: (a) => h('p', { class: 'summary' }, a.summary) },
  { key: 'category', title: 'Kind', cell: (a) => categoryLabel(a.category) },
  { key: 'licence', title: 'Licence', cell: (a) => licenceText(a.licence) },
  {
    key: 'activityPub',
    title: 'Fediverse',
    cell: (a) => (a.activityPub ? h('span', null, 'Yes', activityPubBadge(a)) : 'No: it does not speak ActivityPub'),
  },
  { key: 'version', title: 'Version', cell: (a) => a.version || '—' },
  { key: 'needs', title: 'What it needs', cell: needsList },
  ...SWOT_PARTS.map((p) => ({ key: p.key, title: p.title, hint: p.hint, cell: (a: App) => swotList(a.swot, p.key) })),
  { key: 'backup', title: 'Backups', cell: backupBlock },
];

export async function comparePage({ root, query, signal }: PageContext): Promise<void> {
  const wanted = [...new Set((query.get('apps') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  const title = heading('Compare apps');
  root.append(h('p', { class: 'crumbs' }, link('/catalog', 'Catalog'), ' / '), title, loading('Loading the catalog…'));
  let catalog: App[];
  try {
    catalog = await getCatalog();
  } catch (e) {
    if (!signal.aborted) root.lastElementChild?.replaceWith(failure(`Could not load the catalog: ${errorText(e)}`));
    return;
  }
  if (signal.aborted) return;
  const body: Child[] = [];
  const unknown = wanted.filter((id) => !catalog.some((a) => a.id === id));
  let apps = wanted.map((id) => catalog.find((a) => a.id === id)).filter((a): a is App => !!a);
  if (unknown.length) {
    body.push(
      h(
        'div',
        { class: 'form-error', role: 'alert', id: 'compare-unknown' },
        unknown.length === 1 ? `There is no app called “${unknown[0]}” in the catalog.` : `These are not in the catalog: ${unknown.join(', ')}.`,
      ),
    );
  }
  if (apps.length > MAX_COMPARE) {
    body.push(h('p', { class: 'notice' }, `You can compare at most ${MAX_COMPARE} apps at a time; here are the first ${MAX_COMPARE}.`));
    apps = apps.slice(0, MAX_COMPARE);
  }
  const change = link(`/catalog?compare=${apps.map((a) => encodeURIComponent(a.id)).join(',')}`, 'Change the selection');
  if (apps.length < 2) {
    setChildren(
      root,
      h('p', { class: 'crumbs' }, link('/catalog', 'Catalog'), ' / '),
      title,
      body,
      h('p', { class: 'empty' }, 'Choose two or three apps to compare: tick “Compare” on their cards in the catalog.'),
      h('p', null, change),
    );
    return;
  }
  document.title = `Compare ${apps.map((a) => a.name).join(', ')} · fedihost`;
  title.textContent = apps.length === 2 ? `${apps[0]!.name} or ${apps[1]!.name}?` : `${apps.map((a) => a.name).slice(0, -1).join(', ')} or ${apps[apps.length - 1]!.name}?`;

  const table = h(
    'table',
    { class: `compare compare-${apps.length}`, id: 'compare-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('td', { class: 'aspect' }),
        apps.map((a) =>
          h('th', { scope: 'col', 'data-app': a.id }, link(`/catalog/${encodeURIComponent(a.id)}`, a.name)),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      ASPECTS.map((asp) =>
        h(
          'tr',
          { 'data-aspect': asp.key, class: SWOT_PARTS.some((p) => p.key === asp.key) ? `swot-row swot-${asp.key}` : null },
          h('th', { scope: 'row', class: 'aspect' }, asp.title, asp.hint ? h('span', { class: 'muted small block' }, asp.hint) : null),
          apps.map((a) => h('td', { 'data-app': a.id, 'data-aspect': asp.key }, asp.cell(a))),
        ),
      ),
      h('tr', { class: 'compare-actions' }, h('th', { scope: 'row', class: 'aspect' }), apps.map((a) => h('td', { 'data-app': a.id }, deployLink(a, `Deploy ${a.name}`)))),
    ),
  );

  setChildren(
    root,
    h('p', { class: 'crumbs' }, link('/catalog', 'Catalog'), ' / '),
    title,
    body,
    h('p', { class: 'lead' }, 'Side by side: what each app is, what it needs, what it is good and bad at, and how it is backed up. ', change, '.'),
    h('div', { class: 'compare-wrap card' }, table),
  );
}
