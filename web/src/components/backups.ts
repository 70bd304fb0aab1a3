// The Backups card of a deployment page: back up now, the list of backups with
// their bundles to download, and restoring one as a new deployment (another domain if asked).
import { api, errorText } from '../api';
import { busy, failure, formatDate, h, link, loading } from '../dom';
import type { Backup, Deployment, Restore } from '../types';

const ENDED = new Set(['succeeded', 'failed']);

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackupsCardOptions {
  deployment: () => Deployment;
  canDeploy: boolean; // back up, restore
  canDownload: boolean; // members: a bundle holds the data in clear
  signal: AbortSignal;
}

export function backupsCard(opts: BackupsCardOptions): { element: HTMLElement; load: () => Promise<void> } {
  const body = h('div', { id: 'backups' }, loading('Loading backups…'));
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'backup-error' });
  const status = h('p', { class: 'muted', id: 'backup-status', 'aria-live': 'polite' });
  const backUpBtn = h('button', { type: 'button', id: 'back-up-now' }, 'Back up now');
  const restoreArea = h('div', { id: 'restore-area' });

  const showError = (e: unknown) => {
    error.textContent = errorText(e);
    error.hidden = false;
  };

  async function load(): Promise<void> {
    try {
      const items = await api.backups(opts.deployment().id);
      if (opts.signal.aborted) return;
      body.replaceChildren(items.length ? table(items) : h('p', { class: 'empty' }, 'No backup has been made yet.'));
    } catch (e) {
      if (!opts.signal.aborted) body.replaceChildren(failure(`Could not load the backups: ${errorText(e)}`, () => void load()));
    }
  }

  function table(items: Backup[]): HTMLElement {
    return h(
      'table',
      { class: 'backups-table' },
      h('thead', null, h('tr', null, h('th', null, 'Made'), h('th', null, 'Status'), h('th', null, 'Size'), h('th', null, ''))),
      h(
        'tbody',
        null,
        ...items.map((b) =>
          h(
            'tr',
            { 'data-backup': b.id },
            h('td', null, formatDate(b.finishedAt || b.createdAt)),
            h('td', null, b.status === 'failed' ? `failed: ${b.error ?? ''}` : b.status),
            h('td', null, b.complete ? bytes(b.size) : '—'),
            h(
              'td',
              { class: 'actions' },
              b.complete && opts.canDownload ? h('a', { href: api.bundleUrl(b.id), download: `${b.id}.fhb`, class: 'button' }, 'Download') : null,
              b.complete && opts.canDeploy ? restoreButton(b) : null,
            ),
          ),
        ),
      ),
    );
  }

  function restoreButton(b: Backup): HTMLElement {
    const btn = h('button', { type: 'button', class: 'restore-button' }, 'Restore as new deployment…');
    btn.addEventListener('click', () => {
      const domain = h('input', { type: 'text', name: 'domain', placeholder: opts.deployment().domain, id: 'restore-domain' });
      const name = h('input', { type: 'text', name: 'name', placeholder: opts.deployment().name, id: 'restore-name' });
      const go = h('button', { type: 'submit', class: 'button-primary', id: 'restore-go' }, 'Restore');
      const out = h('div', { id: 'restore-progress', 'aria-live': 'polite' });
      const form = h(
        'form',
        { class: 'restore-form' },
        h('p', null, `Restore the backup of ${formatDate(b.finishedAt || b.createdAt)} as a new deployment. Its data and secrets are copied unchanged; the domain may change.`),
        h('label', null, 'Domain ', domain),
        h('label', null, 'Name ', name),
        h('div', { class: 'actions' }, go),
        out,
      );
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        void busy(go, 'Restoring…', async () => {
          error.hidden = true;
          try {
            let r: Restore = await api.restore(opts.deployment().organisation, {
              backup: b.id,
              domain: domain.value.trim() || undefined,
              name: name.value.trim() || undefined,
            });
            while (!ENDED.has(r.status) && !opts.signal.aborted) {
              out.textContent = `Restoring: step ${r.done} of ${r.total || '…'}`;
              await sleep(1000);
              r = await api.restoreStatus(r.id);
            }
            out.replaceChildren(
              r.status === 'succeeded'
                ? h('p', null, 'Restored: ', link(`/deployments/${r.deployment}`, 'open the new deployment'))
                : h('p', { class: 'form-error' }, `The restore failed at ${r.failedPart || 'a step'}: ${r.error ?? ''}. Nothing of it was kept.`),
            );
          } catch (e) {
            showError(e);
          }
        });
      });
      restoreArea.replaceChildren(form);
      domain.focus();
    });
    return btn;
  }

  backUpBtn.addEventListener('click', () =>
    busy(backUpBtn, 'Backing up…', async () => {
      error.hidden = true;
      try {
        let b = await api.backUp(opts.deployment().id);
        while (!ENDED.has(b.status) && !opts.signal.aborted) {
          status.textContent = `Backing up: ${b.done} of ${b.total || '…'} parts`;
          await sleep(700);
          b = await api.backup(b.id);
        }
        status.textContent = b.status === 'succeeded' ? `Backup made: ${bytes(b.size)}.` : `The backup failed: ${b.error ?? ''}`;
        await load();
      } catch (e) {
        showError(e);
      }
    }),
  );

  const element = h(
    'section',
    { class: 'card', id: 'backups-card' },
    h('div', { class: 'section-head' }, h('h2', null, 'Backups'), opts.canDeploy ? backUpBtn : null),
    h('p', { class: 'muted' }, 'A backup copies the databases, the stored files and the generated secrets into one file. Scheduled backups are not offered yet.'),
    status,
    error,
    body,
    restoreArea,
  );
  return { element, load };
}
