// Choosing the apps of a deployment, each with its schema-generated settings
// form: used when creating a deployment and when editing one.
import { ApiError } from '../api';
import { h } from '../dom';
import type { FormErrors } from '../forms';
import type { App, DeploymentApp } from '../types';
import { settingsForm, type SettingsForm } from './settings';

interface Choice {
  app: App;
  box: HTMLInputElement;
  settings: SettingsForm;
}

export interface AppInput {
  app: string;
  settings: Record<string, unknown>;
}

export interface AppPicker {
  element: HTMLElement;
  /** The apps to send, in order: the current ones first (as they were), then newly ticked ones. */
  values(): AppInput[];
  /** Rewrites an API error path apps[i]… to the path of the i-th app sent (app:mastodon…). */
  mapError(e: unknown, sent: AppInput[]): unknown;
}

export interface AppPickerOptions {
  legend: string;
  help: string;
  /** Prefix of element ids, so that two pickers never share one ("" → app-mastodon, settings-mastodon). */
  idPrefix?: string;
  /** Apps ticked at first. */
  selected?: Iterable<string>;
  /** The deployment's apps: their order is kept and their settings fill the forms. */
  current?: DeploymentApp[];
}

export function appPicker(catalog: App[], errors: FormErrors, opts: AppPickerOptions): AppPicker {
  const pre = opts.idPrefix ?? '';
  const current = opts.current ?? [];
  const selected = new Set(opts.selected ?? current.map((a) => a.app));
  const appsError = h('p', { class: 'field-error', hidden: true, 'data-error-for': 'apps', 'aria-live': 'polite' });

  const choices: Choice[] = catalog.map((app) => {
    const box = h('input', { type: 'checkbox', name: 'apps', value: app.id, id: `${pre}app-${app.id}` });
    box.checked = selected.has(app.id);
    const now = current.find((a) => a.app === app.id);
    const settings = settingsForm(app.settingsSchema, `app:${app.id}.settings`, errors, `${pre}setting-${app.id}`, now?.settings ?? {});
    return { app, box, settings };
  });
  errors.register('apps', appsError, choices[0]?.box);

  // apps of the deployment that the catalog no longer offers are kept as they are
  const unknown = current.filter((a) => !catalog.some((c) => c.id === a.app));

  const rows = choices.map(({ app, box, settings }) => {
    const err = h('p', { class: 'field-error', hidden: true, 'data-error-for': `app:${app.id}`, 'aria-live': 'polite' });
    errors.register(`app:${app.id}`, err, box);
    const panel = h('div', { class: 'app-settings', id: `${pre}settings-${app.id}` }, settings.element);
    const removing = current.some((a) => a.app === app.id)
      ? h('p', { class: 'notice small', hidden: true }, `${app.name} and its data will be removed when you apply.`)
      : null;
    const wrap = h(
      'div',
      { class: 'app-choice', 'data-app': app.id },
      h(
        'label',
        { for: box.id, class: 'app-choice-label' },
        box,
        h(
          'span',
          null,
          h('strong', null, app.name),
          app.activityPub ? h('span', { class: 'badge badge-ap' }, 'ActivityPub') : null,
          h('span', { class: 'muted small block' }, app.summary),
        ),
      ),
      err,
      removing,
      panel,
    );
    const sync = () => {
      panel.hidden = !box.checked;
      if (removing) removing.hidden = box.checked;
      wrap.classList.toggle('chosen', box.checked);
    };
    box.addEventListener('change', sync);
    sync();
    return wrap;
  });

  const element = h(
    'fieldset',
    { class: 'apps' },
    h('legend', null, opts.legend),
    h('p', { class: 'help' }, opts.help),
    appsError,
    unknown.map((a) =>
      h('p', { class: 'notice small', 'data-app': a.app }, `“${a.app}” is no longer in the catalog; it stays as it is.`),
    ),
    rows,
  );

  return {
    element,
    values() {
      const ticked = choices.filter((c) => c.box.checked);
      const out: AppInput[] = [];
      for (const a of current) {
        const c = ticked.find((t) => t.app.id === a.app);
        if (c) out.push({ app: a.app, settings: c.settings.values() });
        else if (!catalog.some((x) => x.id === a.app)) out.push({ app: a.app, settings: a.settings ?? {} });
      }
      for (const c of ticked) if (!out.some((o) => o.app === c.app.id)) out.push({ app: c.app.id, settings: c.settings.values() });
      return out;
    },
    mapError(e, sent) {
      if (!(e instanceof ApiError)) return e;
      const map = (path: string | undefined): string | undefined => {
        if (!path) return path;
        const m = /^apps\[(\d+)\](.*)$/.exec(path);
        const id = m ? sent[Number(m[1])]?.app : undefined;
        return m && id ? `app:${id}${m[2] ?? ''}` : path;
      };
      return new ApiError(e.status, {
        ...e.problem,
        title: e.title,
        detail: e.detail,
        field: map(e.field),
        errors: e.errors.map((x) => ({ field: map(x.field) ?? x.field, detail: x.detail })),
      });
    },
  };
}
