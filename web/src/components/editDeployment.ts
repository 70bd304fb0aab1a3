// "Edit settings" on a deployment's page: the domain, the apps and their
// schema-generated settings, sent with PATCH /deployments/{id} and If-Match
// (the version the form was filled from), so no one's change is lost.
import { api, ApiError } from '../api';
import { busy, h } from '../dom';
import { field, FormErrors } from '../forms';
import type { App, Deployment, DeploymentPatch } from '../types';
import { appPicker, type AppInput } from './appPicker';

export interface EditSection {
  element: HTMLElement;
  /** Redraws the closed state (e.g. after the deployment's status changed). */
  draw(): void;
  /** Closes the form, dropping what was typed. */
  close(): void;
}

export interface EditOptions {
  deployment: () => Deployment;
  catalog: App[];
  /** Saved: the deployment as the server now has it. */
  onSaved: (dep: Deployment) => void;
  /** Fetches the deployment again (after a 412); resolves to it. */
  reload: () => Promise<Deployment | null>;
}

/** JSON with sorted keys, to tell whether settings changed. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sameApps(a: AppInput[], b: Deployment['apps']): boolean {
  return canonical(a.map((x) => ({ app: x.app, settings: x.settings }))) === canonical(b.map((x) => ({ app: x.app, settings: x.settings ?? {} })));
}

export function editSection(opts: EditOptions): EditSection {
  const openBtn = h('button', { type: 'button', id: 'edit-open' }, 'Edit settings');
  const intro = h(
    'p',
    { class: 'muted' },
    'Change the domain, add or remove apps, or change their settings. Nothing changes on the server until you review the plan and press Apply.',
  );
  const saved = h('p', { class: 'notice notice-ok', id: 'edit-saved', role: 'status', hidden: true });
  const formSlot = h('div');
  const element = h('section', { class: 'card', id: 'edit-settings' }, h('div', { class: 'section-head' }, h('h2', null, 'Settings'), openBtn), intro, saved, formSlot);

  const gone = () => ['deleted', 'deleting'].includes(opts.deployment().status);

  function close(): void {
    formSlot.replaceChildren();
    openBtn.hidden = false;
    draw();
  }

  function draw(): void {
    openBtn.disabled = gone();
    element.hidden = opts.deployment().status === 'deleted';
  }

  function open(): void {
    saved.hidden = true;
    openBtn.hidden = true;
    formSlot.replaceChildren(buildForm(opts.deployment()));
    formSlot.querySelector<HTMLInputElement>('input[name="domain"]')?.focus();
  }

  function buildForm(base: Deployment): HTMLElement {
    const errors = new FormErrors();
    errors.top.id = 'edit-error';
    const reloadBtn = h('button', { type: 'button', id: 'edit-reload' }, 'Reload');
    const conflict = h(
      'div',
      { class: 'form-error', role: 'alert', id: 'edit-conflict', hidden: true },
      h('span', null, 'Someone else changed this deployment since you opened this form. Reload to see their changes, then make yours again.'),
      reloadBtn,
    );
    // settings stored under an older schema must be upgraded before they can be edited (the server answers 409)
    const outdated = base.apps.filter((a) => {
      const now = opts.catalog.find((c) => c.id === a.app)?.schemaVersion;
      return !!a.schemaVersion && !!now && a.schemaVersion < now;
    });
    const outdatedNote = outdated.length
      ? h(
          'p',
          { class: 'notice', id: 'edit-outdated' },
          `The settings of ${outdated.map((a) => opts.catalog.find((c) => c.id === a.app)?.name ?? a.app).join(' and ')} are from an older version. `,
          'Upgrade them first with “Upgrade settings” at the top of this page, then change them here.',
        )
      : null;
    const domain = h('input', { type: 'text', name: 'domain', autocapitalize: 'off', spellcheck: 'false', inputmode: 'url' });
    domain.value = base.domain;
    const picker = appPicker(opts.catalog, errors, {
      legend: 'Apps',
      help: 'Untick an app to remove it, tick another to add it. Each ticked app shows its settings as they are now.',
      idPrefix: 'edit-',
      current: base.apps,
    });
    const save = h('button', { type: 'submit', class: 'button-primary', id: 'edit-save' }, 'Save changes');
    const cancel = h('button', { type: 'button', class: 'button-quiet', id: 'edit-cancel' }, 'Cancel');
    const form = h(
      'form',
      { id: 'edit-form', novalidate: true, 'data-version': base.version },
      outdatedNote,
      conflict,
      errors.top,
      field({
        label: 'Domain',
        control: domain,
        path: 'domain',
        errors,
        required: true,
        help: 'The address people visit, e.g. social.example.org. Each app gets its own name under it.',
      }),
      picker.element,
      h('div', { class: 'actions' }, save, cancel, h('span', { class: 'muted small' }, 'You will review the plan before anything is installed.')),
    );

    cancel.addEventListener('click', close);
    reloadBtn.addEventListener('click', () =>
      busy(reloadBtn, 'Reloading…', async () => {
        const fresh = await opts.reload();
        if (fresh) formSlot.replaceChildren(buildForm(fresh));
      }),
    );

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      errors.clear();
      conflict.hidden = true;
      const apps = picker.values();
      const body: DeploymentPatch = {};
      const d = domain.value.trim();
      if (d !== base.domain) body.domain = d;
      if (!sameApps(apps, base.apps)) body.apps = apps;
      if (body.domain === undefined && body.apps === undefined) {
        errors.showAt('', 'Nothing to save: you have not changed anything.');
        return;
      }
      void busy(save, 'Saving…', async () => {
        try {
          const dep = await api.updateDeployment(base.id, base.version, body);
          close();
          saved.textContent = `Saved. Review the plan below to see what Apply will change.`;
          saved.hidden = false;
          opts.onSaved(dep);
        } catch (e) {
          if (e instanceof ApiError && e.status === 412) {
            conflict.hidden = false;
            reloadBtn.focus();
            return;
          }
          errors.show(picker.mapError(e, apps));
        }
      });
    });
    return form;
  }

  openBtn.addEventListener('click', open);
  draw();
  return { element, draw, close };
}
