// "An update is available": GET /deployments/{id}/upgrade lists what changes
// per app; "Upgrade settings" (after a confirm step) POSTs it with If-Match and
// then asks the owner to review the plan and apply. Older servers answer 404:
// then nothing is shown.
import { api, ApiError, errorText } from '../api';
import { busy, h } from '../dom';
import { isOperator } from '../session';
import { appName } from '../store';
import type { App, Deployment, ReleaseRef, UpgradeInfo } from '../types';

export interface UpgradeArea {
  element: HTMLElement;
  /** Asks the server whether an update is available and draws the banner. */
  check(): Promise<void>;
}

export interface UpgradeOptions {
  deployment: () => Deployment;
  catalog: App[];
  signal: AbortSignal;
  onUpgraded: (dep: Deployment) => void;
  reviewPlan: () => void;
  reload: () => Promise<Deployment | null>;
}

/** "abcdef1234567890…" → "abcdef123456" */
export function shortRevision(rev: string): string {
  return /^[0-9a-f]{13,}$/i.test(rev) ? rev.slice(0, 12) : rev;
}

function release(r: ReleaseRef | null | undefined): string {
  if (!r) return '?';
  const bits: string[] = [];
  if (r.catalogVersion) bits.push(`catalog ${r.catalogVersion}`);
  if (r.nixpkgsRevision) bits.push(`packages ${shortRevision(r.nixpkgsRevision)}`);
  return bits.join(', ') || '?';
}

/** A "Catalog: 2026.11.1 → 2026.12.1" line, or nothing when the new value is unknown. */
function step(label: string, from: string | null | undefined, to: string | null | undefined): HTMLElement[] | null {
  if (!to) return null;
  return [h('dt', null, label), h('dd', null, from && from !== to ? `${from} → ${to}` : to)];
}

export function upgradeArea(opts: UpgradeOptions): UpgradeArea {
  const element = h('div', { id: 'upgrade-area' });

  function banner(info: UpgradeInfo): HTMLElement {
    const dep = opts.deployment();
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'upgrade-error' });
    const startBtn = h('button', { type: 'button', class: 'button-primary', id: 'upgrade' }, 'Upgrade settings…');
    const confirm = h('div', { class: 'confirm confirm-calm', hidden: true, id: 'upgrade-confirm', role: 'alertdialog', 'aria-labelledby': 'upgrade-confirm-text' });
    const apps = (info.apps ?? []).map((a) => {
      const from = a.fromVersion ?? '';
      const to = a.toVersion ?? '';
      const versions = from && to && from !== to ? `${from} → ${to}` : to ? `version ${to}` : '';
      // lines that only restate the versions shown above are left out
      const name = appName(opts.catalog, a.app);
      const restated = new Set([
        `${name} ${from} → ${to}`,
        `${a.app} ${from} → ${to}`,
        `NixOS packages ${info.from?.nixpkgsRevision ?? ''} → ${info.to?.nixpkgsRevision ?? ''}`,
      ]);
      const changes = (a.changes ?? []).filter((c) => !restated.has(c.trim()));
      return h(
        'li',
        { 'data-app': a.app },
        h('strong', null, name),
        versions ? h('span', { class: 'muted' }, ` ${versions}`) : null,
        changes.length
          ? h('ul', { class: 'upgrade-changes' }, changes.map((c) => h('li', null, c)))
          : h('span', { class: 'muted small block' }, 'Its settings stay as they are.'),
      );
    });

    const showError = (e: unknown) => {
      error.replaceChildren();
      if (e instanceof ApiError && e.status === 412) {
        const reloadBtn = h('button', { type: 'button', id: 'upgrade-reload' }, 'Reload');
        reloadBtn.addEventListener('click', () =>
          busy(reloadBtn, 'Reloading…', async () => {
            await opts.reload();
            await check();
          }),
        );
        error.append(h('span', null, 'Someone else changed this deployment in the meantime. Reload, then upgrade again.'), reloadBtn);
      } else {
        error.append(h('span', null, `Could not upgrade: ${errorText(e)}`));
      }
      error.hidden = false;
    };

    startBtn.addEventListener('click', () => {
      error.hidden = true;
      const version = opts.deployment().version;
      const yes = h('button', { type: 'button', class: 'button-primary', id: 'upgrade-yes' }, 'Yes, upgrade settings');
      const no = h('button', { type: 'button', class: 'button-quiet' }, 'Cancel');
      no.addEventListener('click', () => (confirm.hidden = true));
      yes.addEventListener('click', () =>
        busy(yes, 'Upgrading…', async () => {
          try {
            const upgraded = await api.upgrade(dep.id, version);
            confirm.hidden = true;
            opts.onUpgraded(upgraded);
            done(upgraded, info);
          } catch (e) {
            confirm.hidden = true;
            showError(e);
          }
        }),
      );
      confirm.replaceChildren(
        h(
          'p',
          { id: 'upgrade-confirm-text' },
          h('strong', null, `Upgrade the settings of ${dep.name} to ${release(info.to)}?`),
          ' The settings listed above are rewritten for the new versions. Nothing is installed yet: you review the plan and apply it next.',
        ),
        h('div', { class: 'actions' }, yes, no),
      );
      confirm.hidden = false;
      no.focus();
    });

    return h(
      'section',
      { class: 'banner', id: 'upgrade-banner', role: 'region', 'aria-labelledby': 'upgrade-title' },
      h('h2', { id: 'upgrade-title' }, 'An update is available'),
      h(
        'dl',
        { class: 'facts upgrade-release' },
        step('Catalog', info.from?.catalogVersion, info.to?.catalogVersion),
        isOperator()
          ? step('Package set (nixpkgs)', info.from?.nixpkgsRevision && shortRevision(info.from.nixpkgsRevision), info.to?.nixpkgsRevision && shortRevision(info.to.nixpkgsRevision))
          : null,
      ),
      apps.length ? h('ul', { class: 'upgrade-apps' }, apps) : null,
      h('div', { class: 'actions' }, startBtn),
      confirm,
      error,
    );
  }

  function done(dep: Deployment, info: UpgradeInfo): void {
    const review = h('button', { type: 'button', class: 'button-primary', id: 'upgrade-review' }, 'Review plan');
    review.addEventListener('click', () => opts.reviewPlan());
    element.replaceChildren(
      h(
        'section',
        { class: 'banner banner-ok', id: 'upgrade-done', role: 'status' },
        h('h2', null, 'Settings upgraded'),
        h(
          'p',
          null,
          `${dep.name} is now set up for ${release(dep.catalogVersion || dep.nixpkgsRevision ? dep : info.to)}. `,
          'Review the plan to see what will change, then press Apply to install it.',
        ),
        h('div', { class: 'actions' }, review),
      ),
    );
  }

  async function check(): Promise<void> {
    let info: UpgradeInfo;
    try {
      info = await api.upgradeInfo(opts.deployment().id, opts.signal);
    } catch (e) {
      if (opts.signal.aborted) return;
      // 404: a server without upgrades (or a deleted deployment): say nothing
      if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) element.replaceChildren();
      else element.replaceChildren(h('p', { class: 'muted small', id: 'upgrade-unknown' }, `Could not check for updates: ${errorText(e)}`));
      return;
    }
    if (opts.signal.aborted) return;
    element.replaceChildren(info && info.available ? banner(info) : '');
  }

  return { element, check };
}
