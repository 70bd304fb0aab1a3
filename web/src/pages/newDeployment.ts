import { api, errorText } from '../api';
import { failure, h, heading, link, loading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import { getCatalog } from '../store';
import type { App, Organisation } from '../types';
import { appPicker } from '../components/appPicker';

export async function newDeploymentPage({ root, params, query, signal }: PageContext): Promise<void> {
  root.append(heading('New deployment'), loading());
  let orgs: Organisation[];
  let catalog: App[];
  try {
    [orgs, catalog] = await Promise.all([api.allOrganisations(), getCatalog()]);
  } catch (e) {
    root.replaceChildren(heading('New deployment'), failure(`Could not load the form: ${errorText(e)}`));
    return;
  }
  if (signal.aborted) return;
  const all = orgs;
  orgs = orgs.filter((o) => session.can('deployment.write', o.id));
  if (all.length > 0 && orgs.length === 0) {
    root.replaceChildren(
      heading('New deployment'),
      h(
        'p',
        { class: 'empty', id: 'cannot-create' },
        'You can look at the deployments of your organisation, but not create them. Ask one of its administrators to make you a member.',
      ),
    );
    return;
  }
  if (orgs.length === 0) {
    root.replaceChildren(
      heading('New deployment'),
      h('p', { class: 'empty' }, ...(session.can('operator') ? ['A deployment belongs to an organisation. ', link('/organisations', 'Create an organisation first'), '.'] : ['You do not belong to any organisation yet. Ask for an invitation.'])),
    );
    return;
  }

  const errors = new FormErrors();
  const wantedOrg = params.id ?? query.get('organisation') ?? (orgs.length > 1 ? session.currentOrganisation() : null) ?? '';
  const wantedApps = new Set((query.get('app') ?? '').split(',').filter(Boolean));

  const orgSelect = h('select', { name: 'organisation' });
  if (orgs.length > 1 && !orgs.some((o) => o.id === wantedOrg)) orgSelect.append(h('option', { value: '' }, '— choose —'));
  for (const o of orgs) {
    const opt = h('option', { value: o.id }, o.displayName || o.name);
    if (o.id === wantedOrg) opt.selected = true;
    orgSelect.append(opt);
  }

  const name = h('input', { type: 'text', name: 'name', placeholder: 'social', autocapitalize: 'off', spellcheck: 'false' });
  const domain = h('input', { type: 'text', name: 'domain', placeholder: 'social.example.org', autocapitalize: 'off', spellcheck: 'false', inputmode: 'url' });

  const picker = appPicker(catalog, errors, {
    legend: 'Apps',
    help: 'Choose one or more. Each app you tick shows its settings; the defaults are fine to start with.',
    selected: wantedApps,
  });

  // Every address the deployment will have, previewed as she types.
  const preview = h('div', { class: 'url-preview', id: 'url-preview', 'aria-live': 'polite' });
  let shown = '';
  const drawPreview = (): void => {
    const d = domain.value.trim().toLowerCase().replace(/\.$/, '');
    const apps = picker.values();
    if (!d || apps.length === 0) {
      shown = '';
      preview.replaceChildren(h('p', { class: 'muted small' }, 'Type a domain and tick an app to see its address here.'));
      return;
    }
    const rows = apps.map((a) => {
      const app = catalog.find((c) => c.id === a.app);
      const given = a.settings.subdomain;
      const sub = typeof given === 'string' ? given : app?.defaultSubdomain ?? a.app;
      return { app, sub, host: sub ? `${sub}.${d}` : d };
    });
    // redraw only what changed (a blur's "change" must not replace the button being clicked)
    const key = JSON.stringify([d, rows.map((r) => r.host)]);
    if (key === shown) return;
    shown = key;
    const doubled = rows.filter((r) => r.sub && d.startsWith(`${r.sub}.`));
    preview.replaceChildren(
      h('p', { class: 'small' }, h('strong', null, rows.length === 1 ? 'Its address: ' : 'Their addresses: ')),
      h(
        'ul',
        { class: 'url-list', id: 'url-preview-list' },
        rows.map((r) => h('li', { 'data-app': r.app?.id ?? '' }, `${r.app?.name ?? ''}: `, h('code', { class: 'url' }, `https://${r.host}/`))),
      ),
      ...doubled.map((r) => {
        const parent = d.slice(r.sub.length + 1);
        const fix = h('button', { type: 'button', class: 'button-quiet small', 'data-fix': parent }, `Use ${parent}`);
        fix.addEventListener('click', () => {
          domain.value = parent;
          drawPreview();
          domain.focus();
        });
        return h(
          'p',
          { class: 'notice small', id: 'domain-doubled', role: 'status' },
          `The domain already starts with “${r.sub}.”, so ${r.app?.name ?? 'the app'} would be at ${r.host}. ` +
            `Each app gets its own name under the domain: give ${parent} to have it at ${r.sub}.${parent}. `,
          fix,
        );
      }),
    );
  };

  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Create deployment');
  const form = h(
    'form',
    { class: 'card', id: 'new-deployment-form', novalidate: true },
    errors.top,
    field({ label: 'Organisation', control: orgSelect, path: 'organisation', errors }),
    h(
      'div',
      { class: 'row' },
      field({ label: 'Name', control: name, path: 'name', errors, required: true, help: 'A short name for this deployment, e.g. “social”.' }),
      field({
        label: 'Domain',
        control: domain,
        path: 'domain',
        errors,
        required: true,
        help: 'The address people will visit, e.g. social.example.org. Each app gets its own name under it.',
      }),
    ),
    preview,
    picker.element,
    h('div', { class: 'actions' }, submit, h('span', { class: 'muted small' }, 'Nothing is installed yet: you will review the plan first.')),
  );

  form.addEventListener('input', drawPreview);
  form.addEventListener('change', drawPreview);
  drawPreview();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const org = orgSelect.value;
    if (!org) return errors.showAt('organisation', 'Choose the organisation this deployment belongs to.');
    const apps = picker.values();
    const body = { name: name.value.trim(), domain: domain.value.trim(), apps };
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const dep = await api.createDeployment(org, body);
      navigate(`/deployments/${encodeURIComponent(dep.id)}`);
    } catch (e) {
      errors.show(picker.mapError(e, apps));
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create deployment';
    }
  });

  root.replaceChildren(
    heading('New deployment'),
    h('p', { class: 'lead' }, 'Pick a domain and the apps to run there. You can review everything before it is installed.'),
    form,
  );
}
