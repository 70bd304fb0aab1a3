// /catalog — the apps, ordered and filterable by kind, each linking to its page
// and with a "Compare" box: ticking 2 or 3 enables the Compare button.
// ?category=video shows one kind; ?compare=peertube,owncast ticks those boxes.
import { errorText } from '../api';
import { failure, h, heading, link, loading } from '../dom';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import { getCatalog } from '../store';
import type { App } from '../types';
import { categoryLabel, categoryOrder, databaseName } from '../words';

export const MAX_COMPARE = 3;

function needsLine(app: App): string {
  const n = app.needs;
  if (!n) return '';
  const parts: string[] = [];
  if (n.cpu) parts.push(`${n.cpu} CPU${n.cpu === 1 ? '' : 's'}`);
  if (n.memoryMiB) parts.push(n.memoryMiB >= 1024 ? `${+(n.memoryMiB / 1024).toFixed(1)} GiB memory` : `${n.memoryMiB} MiB memory`);
  if (n.diskGiB) parts.push(`${n.diskGiB} GiB disk`);
  for (const db of n.databases ?? []) parts.push(`${databaseName(db)} database`);
  if (n.buckets?.length) parts.push('file storage');
  if (n.mail) parts.push('sends e-mail');
  return parts.join(' · ');
}

/** A card; `compare` is the "Compare" checkbox row (when the page offers comparing). */
export function appCard(app: App, compare?: HTMLElement): HTMLElement {
  const needs = needsLine(app);
  return h(
    'article',
    { class: 'card app-card', 'data-app': app.id, 'data-category': app.category ?? '' },
    h(
      'header',
      { class: 'app-card-head' },
      h('h3', { class: 'app-name' }, link(`/catalog/${encodeURIComponent(app.id)}`, app.name)),
      h(
        'span',
        { class: 'app-card-badges' },
        app.category ? h('span', { class: 'badge badge-category' }, categoryLabel(app.category)) : null,
        app.activityPub ? h('span', { class: 'badge badge-ap', title: 'Talks to the rest of the Fediverse' }, 'speaks ActivityPub') : null,
      ),
    ),
    h('p', { class: 'summary' }, app.summary),
    h('p', { class: 'description', title: app.description }, app.description),
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
      link(`/catalog/${encodeURIComponent(app.id)}`, 'Strengths, weaknesses, backups…'),
      session.can('deployment.write') ? link(`/new?app=${encodeURIComponent(app.id)}`, `Deploy ${app.name}`) : null,
    ),
    compare ?? null,
  );
}

function group<T extends { category?: string }>(apps: T[]): { category: string; apps: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const a of apps) {
    const c = a.category ?? '';
    groups.set(c, [...(groups.get(c) ?? []), a]);
  }
  return [...groups.entries()]
    .map(([category, list]) => ({ category, apps: list }))
    .sort((a, b) => categoryOrder(a.category) - categoryOrder(b.category) || categoryLabel(a.category).localeCompare(categoryLabel(b.category)));
}

export async function catalogPage({ root, query }: PageContext): Promise<void> {
  root.append(
    heading('Catalog'),
    h(
      'p',
      { class: 'lead' },
      'The apps you can run for your organisation. Open one to read its strengths and weaknesses, or tick “Compare” on two or three to see them side by side.',
    ),
  );
  const body = h('div', null, loading('Loading the catalog…'));
  root.append(body);
  let apps: App[];
  try {
    apps = await getCatalog();
  } catch (e) {
    body.replaceChildren(failure(`Could not load the catalog: ${errorText(e)}`, () => navigate(location.pathname + location.search, { replace: true })));
    return;
  }
  if (apps.length === 0) {
    body.replaceChildren(h('p', { class: 'empty' }, 'The catalog is empty.'));
    return;
  }

  // ---- comparing: the ticked apps, in the order they were ticked ------------
  const known = new Set(apps.map((a) => a.id));
  const selected: string[] = [...new Set((query.get('compare') ?? '').split(',').filter((id) => known.has(id)))].slice(0, MAX_COMPARE);
  let category = query.get('category') ?? '';
  if (category && !apps.some((a) => (a.category ?? '') === category)) category = '';

  const boxes = new Map<string, HTMLInputElement>();
  const refusals = new Map<string, HTMLElement>();
  const compareBtn = h('button', { type: 'button', class: 'button-primary', id: 'compare' }, 'Compare');
  const clearBtn = h('button', { type: 'button', class: 'button-quiet', id: 'compare-clear' }, 'Clear');
  const barText = h('span', { class: 'compare-text', id: 'compare-text', 'aria-live': 'polite' });
  const bar = h('div', { class: 'compare-bar', id: 'compare-bar' }, barText, h('span', { class: 'spacer' }), clearBtn, compareBtn);

  const keepInUrl = () => {
    const q = new URLSearchParams();
    if (category) q.set('category', category);
    if (selected.length) q.set('compare', selected.join(','));
    const s = q.toString();
    history.replaceState(null, '', `/catalog${s ? `?${s}` : ''}`);
  };

  const drawBar = () => {
    const names = selected.map((id) => apps.find((a) => a.id === id)?.name ?? id);
    barText.textContent =
      selected.length === 0
        ? 'Tick “Compare” on two or three apps to see them side by side.'
        : selected.length === 1
          ? `${names[0]} chosen: tick one or two more to compare.`
          : `Compare ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}.`;
    compareBtn.disabled = selected.length < 2;
    clearBtn.hidden = selected.length === 0;
    for (const [id, box] of boxes) box.checked = selected.includes(id);
  };

  const hideRefusals = () => {
    for (const r of refusals.values()) r.hidden = true;
  };

  const compareRow = (app: App): HTMLElement => {
    const box = h('input', { type: 'checkbox', class: 'compare-box', id: `compare-${app.id}`, value: app.id });
    const refusal = h('p', { class: 'field-error compare-refused', hidden: true, 'aria-live': 'polite' });
    boxes.set(app.id, box);
    refusals.set(app.id, refusal);
    box.addEventListener('change', () => {
      hideRefusals();
      if (box.checked) {
        if (selected.length >= MAX_COMPARE) {
          box.checked = false;
          refusal.textContent = `You can compare at most ${MAX_COMPARE} apps at a time: untick one first.`;
          refusal.hidden = false;
          return;
        }
        if (!selected.includes(app.id)) selected.push(app.id);
      } else {
        const i = selected.indexOf(app.id);
        if (i >= 0) selected.splice(i, 1);
      }
      drawBar();
      keepInUrl();
    });
    return h('div', { class: 'compare-row' }, h('label', { class: 'inline-row', for: box.id }, box, h('span', null, 'Compare')), refusal);
  };

  compareBtn.addEventListener('click', () => {
    if (selected.length >= 2) navigate(`/compare?apps=${selected.map(encodeURIComponent).join(',')}`);
  });
  clearBtn.addEventListener('click', () => {
    selected.splice(0);
    hideRefusals();
    drawBar();
    keepInUrl();
  });

  // ---- the cards, in order of kind, filterable by kind ---------------------------
  const groups = group(apps);
  const cards = groups.flatMap((g) => g.apps.map((a) => appCard(a, compareRow(a))));

  const filterBtns: HTMLButtonElement[] = [];
  const filterBtn = (value: string, text: string, count: number) => {
    const b = h('button', { type: 'button', class: 'chip', 'data-category': value }, text, h('span', { class: 'chip-count' }, ` ${count}`));
    b.addEventListener('click', () => {
      category = value;
      drawFilter();
      keepInUrl();
    });
    filterBtns.push(b);
    return b;
  };
  const filters =
    groups.length > 1
      ? h(
          'div',
          { class: 'chips', role: 'group', 'aria-label': 'Show only', id: 'catalog-filter' },
          h('span', { class: 'muted small' }, 'Show:'),
          filterBtn('', 'All', apps.length),
          groups.map((g) => filterBtn(g.category, categoryLabel(g.category), g.apps.length)),
        )
      : null;
  const drawFilter = () => {
    for (const b of filterBtns) b.setAttribute('aria-pressed', String(b.dataset.category === category));
    for (const c of cards) c.hidden = !!category && c.dataset.category !== category;
  };

  drawFilter();
  drawBar();
  body.replaceChildren(filters ?? '', h('div', { class: 'grid', id: 'catalog' }, cards), bar);
}
