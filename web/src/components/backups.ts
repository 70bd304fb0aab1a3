// The Backups card of a deployment page: back up now, the schedule and its retention
// (shown to everyone, edited by the organisation's administrators), the list of backups
// with their bundles to download, restoring one as a new deployment (another domain if asked),
// and restoring one here, in place, after a safety backup.
import { ApiError, api, errorText, followJob } from '../api';
import { busy, failure, formatDate, h, link, loading } from '../dom';
import type { Backup, BackupKeep, BackupSchedule, BundleVerification, Deployment, Restore } from '../types';

const ENDED = new Set(['succeeded', 'failed']);

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How far a time is from now, in words: "in 2 hours 5 minutes", "within a minute", "3 days ago". */
export function fromNow(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now) / 1000);
  const n = Math.abs(diff);
  if (n < 60) return diff < 0 ? 'just now' : 'within a minute';
  const unit = (v: number, one: string) => `${v} ${one}${v === 1 ? '' : 's'}`;
  let words: string;
  if (n >= 86400) words = unit(Math.floor(n / 86400), 'day') + (n % 86400 >= 3600 ? ` ${unit(Math.floor((n % 86400) / 3600), 'hour')}` : '');
  else if (n >= 3600) words = unit(Math.floor(n / 3600), 'hour') + (n % 3600 >= 60 ? ` ${unit(Math.floor((n % 3600) / 60), 'minute')}` : '');
  else words = unit(Math.floor(n / 60), 'minute');
  return diff < 0 ? `${words} ago` : `in ${words}`;
}

/** A span of time in words for "changes made in the … are not in it": "last minute", "40 minutes", "9 hours", "3 days". */
function spanWords(seconds: number): string {
  const unit = (v: number, one: string) => `${v} ${one}${v === 1 ? '' : 's'}`;
  if (seconds < 60) return 'last minute';
  if (seconds < 3600) return unit(Math.floor(seconds / 60), 'minute');
  if (seconds < 48 * 3600) return unit(Math.round(seconds / 3600), 'hour');
  return unit(Math.round(seconds / 86400), 'day');
}

/**
 * What restoring a backup loses, in words: the changes made between the backup and the
 * deletion (or now, for a deployment that lives).
 */
export function lossText(backupAt: string, deletedAt: string | null | undefined, now: number = Date.now()): string {
  const from = new Date(backupAt).getTime();
  const until = deletedAt ? new Date(deletedAt).getTime() : now;
  const span = spanWords(Math.max(0, Math.round((until - from) / 1000)));
  return deletedAt
    ? `This backup is from ${formatDate(backupAt)}; changes made in the ${span} before the deletion are not in it.`
    : `This backup is from ${formatDate(backupAt)}; changes made in the ${span} since are not in it.`;
}

/** A bundle's verification in words. */
function verdictText(v: BundleVerification): string {
  if (v.intact)
    return `Intact: ${v.parts} part${v.parts === 1 ? '' : 's'} checked, and the secrets open with this installation’s key.`;
  return `Damaged: ${v.part ? `${v.part}: ` : ''}${v.problem ?? 'it cannot be read'}. Restoring it would fail; choose another backup.`;
}

const KEEP_KINDS: (keyof BackupKeep)[] = ['hourly', 'daily', 'weekly', 'monthly'];

function keepText(k: BackupKeep): string {
  const parts = KEEP_KINDS.filter((kind) => k[kind] > 0).map((kind) => `${k[kind]} ${kind}`);
  return parts.length ? `keeps the newest ${parts.join(', ')}` : 'keeps only the newest';
}

export interface BackupsCardOptions {
  deployment: () => Deployment;
  canDeploy: boolean; // back up, restore
  canDownload: boolean; // members: a bundle holds the data in clear
  canSchedule: boolean; // org-admins and operators: the schedule decides what is removed
  signal: AbortSignal;
}

export function backupsCard(opts: BackupsCardOptions): {
  element: HTMLElement;
  load: () => Promise<void>;
  /** While `why` is said (a move in progress), "Back up now" is disabled with `why` as its title. */
  block: (why: string | null) => void;
} {
  const gone = opts.deployment().status === 'deleted';
  const body = h('div', { id: 'backups' }, loading('Loading backups…'));
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'backup-error' });
  const status = h('p', { class: 'muted', id: 'backup-status', 'aria-live': 'polite' });
  const backUpBtn = h('button', { type: 'button', id: 'back-up-now' }, 'Back up now');
  let blocked: string | null = null;
  const block = (why: string | null) => {
    blocked = why;
    if (backUpBtn.getAttribute('aria-busy')) return; // busy() re-applies it when done
    backUpBtn.disabled = !!why;
    backUpBtn.title = why ?? '';
  };
  const restoreArea = h('div', { id: 'restore-area' });
  const scheduleArea = h('div', { id: 'backup-schedule' }, loading('Loading the schedule…'));

  const showError = (e: unknown) => {
    error.textContent = errorText(e);
    error.hidden = false;
  };

  function showSchedule(s: BackupSchedule): void {
    const lines: HTMLElement[] = [];
    if (!s.cadence) {
      lines.push(h('p', { id: 'schedule-summary' }, 'Not scheduled: backups are made only when asked for.'));
    } else {
      lines.push(
        h(
          'p',
          { id: 'schedule-summary' },
          s.enabled ? `Scheduled ${s.cadence}; ${keepText(s.keep)} scheduled backups.` : `Schedule turned off (was ${s.cadence}).`,
        ),
      );
      if (s.enabled && s.nextDueAt)
        lines.push(h('p', { id: 'schedule-next' }, `Next backup ${fromNow(s.nextDueAt)} (${formatDate(s.nextDueAt)}).`));
      if (s.lastRunAt && s.lastResult) {
        const what =
          s.lastResult === 'skipped' ? 'skipped' : s.lastResult === 'started' ? 'started' : s.lastResult === 'failed' ? 'failed' : 'succeeded';
        lines.push(
          h(
            'p',
            { class: s.lastResult === 'failed' ? 'form-error' : 'muted', id: 'schedule-last' },
            `Last scheduled backup ${what} ${fromNow(s.lastRunAt)}${s.lastMessage ? `: ${s.lastMessage}` : '.'}`,
          ),
        );
      }
    }
    if (opts.canSchedule) {
      const edit = h('button', { type: 'button', id: 'schedule-edit' }, s.cadence ? 'Change schedule…' : 'Schedule backups…');
      edit.addEventListener('click', () => scheduleArea.replaceChildren(scheduleForm(s)));
      lines.push(h('div', { class: 'actions' }, edit));
    }
    scheduleArea.replaceChildren(...lines);
  }

  function scheduleForm(s: BackupSchedule): HTMLElement {
    const kind = h(
      'select',
      { name: 'cadence', id: 'schedule-kind' },
      h('option', { value: 'every', selected: s.dailyAt === null }, 'Every few hours'),
      h('option', { value: 'daily', selected: s.dailyAt !== null }, 'Daily'),
    );
    const hours = h('input', { type: 'number', name: 'everyHours', id: 'schedule-hours', min: 1, max: 168, value: s.everyHours ?? 24 });
    const at = h('input', { type: 'time', name: 'dailyAt', id: 'schedule-at', value: s.dailyAt ?? '03:00' });
    const hoursLabel = h('label', null, 'Every ', hours, ' hours (aligned in UTC: every 6 is 00:00, 06:00, 12:00, 18:00)');
    const atLabel = h('label', null, 'At ', at, ' UTC');
    const sync = () => {
      hoursLabel.hidden = kind.value !== 'every';
      atLabel.hidden = kind.value !== 'daily';
    };
    kind.addEventListener('change', sync);
    sync();
    const defaults: BackupKeep = s.cadence ? s.keep : { hourly: 0, daily: 7, weekly: 4, monthly: 6 };
    const keepInputs = Object.fromEntries(
      KEEP_KINDS.map((k) => [k, h('input', { type: 'number', name: `keep.${k}`, id: `schedule-keep-${k}`, min: 0, max: 1000, value: defaults[k] })]),
    ) as Record<keyof BackupKeep, HTMLInputElement>;
    const fieldErrors = h('ul', { class: 'form-error', id: 'schedule-errors', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit', class: 'button-primary', id: 'schedule-save' }, 'Save schedule');
    const off = s.enabled ? h('button', { type: 'button', id: 'schedule-off' }, 'Turn scheduled backups off') : null;
    const cancel = h('button', { type: 'button', id: 'schedule-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => showSchedule(s));
    off?.addEventListener('click', () =>
      busy(off, 'Turning off…', async () => {
        try {
          showSchedule(await api.disableBackupSchedule(opts.deployment().id));
        } catch (e) {
          showError(e);
        }
      }),
    );
    const form = h(
      'form',
      { class: 'schedule-form', novalidate: true },
      h('label', null, 'Back up ', kind),
      hoursLabel,
      atLabel,
      h(
        'fieldset',
        null,
        h('legend', null, 'Keep the newest scheduled backup of each of the last…'),
        ...KEEP_KINDS.map((k) => h('label', null, keepInputs[k], ` ${k === 'daily' ? 'days' : k.replace('ly', 's')}`)),
        h('p', { class: 'muted' }, 'Older scheduled backups are removed after each scheduled backup. Backups made with “Back up now” are never removed.'),
      ),
      fieldErrors,
      h('div', { class: 'actions' }, save, off, cancel),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(save, 'Saving…', async () => {
        fieldErrors.hidden = true;
        const keep = Object.fromEntries(KEEP_KINDS.map((k) => [k, Number(keepInputs[k].value || 0)])) as unknown as BackupKeep;
        try {
          const saved = await api.setBackupSchedule(
            opts.deployment().id,
            kind.value === 'every' ? { everyHours: Number(hours.value), keep } : { dailyAt: at.value, keep },
          );
          showSchedule(saved);
        } catch (e) {
          const list = e instanceof ApiError && e.errors.length ? e.errors : [{ field: e instanceof ApiError ? e.field ?? '' : '', detail: errorText(e) }];
          fieldErrors.replaceChildren(...list.map((x) => h('li', { 'data-field': x.field }, x.detail)));
          fieldErrors.hidden = false;
        }
      });
    });
    return form;
  }

  async function loadSchedule(): Promise<void> {
    try {
      const s = await api.backupSchedule(opts.deployment().id);
      if (!opts.signal.aborted) showSchedule(s);
    } catch (e) {
      if (!opts.signal.aborted) scheduleArea.replaceChildren(failure(`Could not load the schedule: ${errorText(e)}`, () => void loadSchedule()));
    }
  }

  async function load(): Promise<void> {
    if (!gone) void loadSchedule();
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
      h('thead', null, h('tr', null, h('th', null, 'Made'), h('th', null, 'Kind'), h('th', null, 'Status'), h('th', null, 'Size'), h('th', null, ''))),
      h(
        'tbody',
        null,
        ...items.map((b) =>
          h(
            'tr',
            { 'data-backup': b.id },
            h('td', null, formatDate(b.finishedAt || b.createdAt), h('div', { class: 'verify-result small', 'aria-live': 'polite' })),
            h('td', null, b.safetyFor ? 'safety (before a restore)' : b.scheduled ? 'scheduled' : 'on demand'),
            h('td', null, b.status === 'failed' ? `failed: ${b.error ?? ''}` : b.status),
            h('td', null, b.complete ? bytes(b.size) : '—'),
            h(
              'td',
              { class: 'actions' },
              b.complete && opts.canDownload ? verifyButton(b) : null,
              b.complete && opts.canDownload ? h('a', { href: api.bundleUrl(b.id), download: `${b.id}.fhb`, class: 'button' }, 'Download') : null,
              b.complete && opts.canDeploy && !gone ? restoreHereButton(b) : null,
              b.complete && opts.canDeploy ? restoreButton(b) : null,
            ),
          ),
        ),
      ),
    );
  }

  function verifyButton(b: Backup): HTMLElement {
    const btn = h('button', { type: 'button', class: 'verify-button' }, 'Verify');
    btn.addEventListener('click', () =>
      busy(btn, 'Verifying…', async () => {
        const out = btn.closest('tr')?.querySelector('.verify-result');
        if (!out) return;
        out.classList.remove('form-error');
        out.textContent = 'Reading the whole backup…';
        try {
          const job = await followJob(await api.verifyBackup(b.id), opts.signal);
          if (!job.result) throw new ApiError(500, { title: 'The verification gave no result' });
          out.textContent = verdictText(job.result);
          out.classList.toggle('form-error', !job.result.intact);
        } catch (e) {
          out.textContent = `Could not verify: ${errorText(e)}`;
          out.classList.add('form-error');
        }
      }),
    );
    return btn;
  }

  /** "Restore here": this deployment's data and secrets replaced by the backup's, after a safety backup. */
  function restoreHereButton(b: Backup): HTMLElement {
    const btn = h('button', { type: 'button', class: 'restore-here-button' }, 'Restore here…');
    btn.addEventListener('click', () => {
      const dep = opts.deployment();
      const at = b.finishedAt || b.createdAt;
      const go = h('button', { type: 'submit', class: 'button-danger', id: 'restore-here-go' }, `Replace the data of ${dep.name} with this backup`);
      const cancel = h('button', { type: 'button', id: 'restore-here-cancel' }, 'Cancel');
      cancel.addEventListener('click', () => restoreArea.replaceChildren());
      const out = h('div', { id: 'restore-here-progress', 'aria-live': 'polite' });
      const form = h(
        'form',
        { class: 'restore-form', novalidate: true, id: 'restore-here-form' },
        h(
          'p',
          { id: 'restore-here-what' },
          `Restore ${dep.name} here from this backup: its databases and stored files are replaced by the backup’s, and the passwords and keys fedihost keeps are put back as they were then.`,
        ),
        h('p', { id: 'restore-loss' }, lossText(at, null)),
        h(
          'p',
          { id: 'restore-here-safety' },
          `First, a safety backup of ${dep.name} as it is now is taken and kept: if anything fails, it is loaded back and ${dep.name} stays as it was; afterwards you can restore it to go back.`,
        ),
        h('div', { class: 'actions' }, go, cancel),
        out,
      );
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        void busy(go, 'Restoring…', async () => {
          out.replaceChildren();
          try {
            let r = await api.restoreInPlace(dep.id, b.id);
            cancel.hidden = true;
            while (!ENDED.has(r.status) && !opts.signal.aborted) {
              out.textContent = r.total ? `Restoring: step ${r.done} of ${r.total}…` : 'Restoring: checking the backup…';
              await sleep(1000);
              r = await api.restoreStatus(r.id);
            }
            go.hidden = true;
            const safety = r.safetyBackup ? ` (safety backup ${r.safetyBackup}, listed above)` : '';
            out.replaceChildren(
              r.status === 'succeeded'
                ? h('p', { id: 'restore-here-done' }, `Restored: ${dep.name} holds the data of ${formatDate(at)} again. What it replaced is kept${safety}.`)
                : h(
                    'p',
                    { class: 'form-error', id: 'restore-here-failed' },
                    `The restore failed at ${r.failedPart || 'a step'}: ${r.error ?? ''}`,
                  ),
            );
            await load();
          } catch (e) {
            out.replaceChildren(h('p', { class: 'form-error', id: 'restore-here-failed' }, errorText(e)));
          }
        });
      });
      restoreArea.replaceChildren(form);
      go.focus();
    });
    return btn;
  }

  function restoreButton(b: Backup): HTMLElement {
    const btn = h('button', { type: 'button', class: 'restore-button' }, gone ? 'Restore…' : 'Restore as new deployment…');
    btn.addEventListener('click', () => {
      const dep = opts.deployment();
      const at = b.finishedAt || b.createdAt;
      // A deleted deployment comes back as it was: its name and domain are free again.
      const domain = h('input', { type: 'text', name: 'domain', id: 'restore-domain', value: gone ? dep.domain : '', placeholder: gone ? '' : 'another domain' });
      const name = h('input', { type: 'text', name: 'name', id: 'restore-name', value: gone ? dep.name : '', placeholder: gone ? '' : 'another name' });
      const fieldError = (field: string) => h('span', { class: 'form-error field-error', 'data-field': field, role: 'alert', hidden: true });
      const domainError = fieldError('domain');
      const nameError = fieldError('name');
      const formError = h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'restore-error' });
      const go = h('button', { type: 'submit', class: 'button-primary', id: 'restore-go' }, 'Restore');
      const out = h('div', { id: 'restore-progress', 'aria-live': 'polite' });
      const form = h(
        'form',
        { class: 'restore-form', novalidate: true },
        h(
          'p',
          null,
          gone
            ? `Bring ${dep.name} back from this backup, at the same address. Its databases, stored files and the passwords fedihost keeps are put back as they were then.`
            : 'Restore this backup as a new deployment, next to this one: give it another domain and name. Its databases, stored files and the passwords fedihost keeps are copied as they were then.',
        ),
        h('p', { id: 'restore-loss' }, lossText(at, dep.deletedAt)),
        h('label', null, 'Domain ', domain, domainError),
        h('label', null, 'Name ', name, nameError),
        formError,
        h('div', { class: 'actions' }, go),
        out,
      );
      const showErrors = (e: unknown) => {
        const list = e instanceof ApiError && e.errors.length ? e.errors : [{ field: e instanceof ApiError ? e.field ?? '' : '', detail: errorText(e) }];
        for (const x of list) {
          const slot = x.field === 'domain' ? domainError : x.field === 'name' ? nameError : formError;
          slot.textContent = slot === formError && formError.textContent ? `${formError.textContent} ${x.detail}` : x.detail;
          slot.hidden = false;
        }
      };
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        void busy(go, 'Restoring…', async () => {
          for (const slot of [domainError, nameError, formError]) {
            slot.hidden = true;
            slot.textContent = '';
          }
          out.replaceChildren();
          let r: Restore;
          try {
            r = await api.restore(dep.organisation, {
              backup: b.id,
              domain: domain.value.trim() || undefined,
              name: name.value.trim() || undefined,
            });
          } catch (e) {
            showErrors(e);
            return;
          }
          try {
            while (!ENDED.has(r.status) && !opts.signal.aborted) {
              out.textContent = r.total ? `Restoring: step ${r.done} of ${r.total}…` : 'Restoring: checking the backup…';
              await sleep(1000);
              r = await api.restoreStatus(r.id);
            }
            if (r.status === 'succeeded') {
              const restored = await api.deployment(r.deployment);
              out.replaceChildren(
                h(
                  'p',
                  { id: 'restore-done' },
                  `Restored: ${restored.name} is back at ${restored.domain}. `,
                  link(`/deployments/${encodeURIComponent(r.deployment)}`, 'Open it'),
                ),
              );
            } else {
              out.replaceChildren(
                h('p', { class: 'form-error', id: 'restore-failed' }, `The restore failed at ${r.failedPart || 'a step'}: ${r.error ?? ''}. Nothing of it was kept.`),
              );
            }
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
    }).finally(() => block(blocked)),
  );

  const element = h(
    'section',
    { class: 'card', id: 'backups-card' },
    h('div', { class: 'section-head' }, h('h2', null, 'Backups'), opts.canDeploy && !gone ? backUpBtn : null),
    gone
      ? h(
          'p',
          { id: 'deleted-note' },
          `${opts.deployment().name} was deleted ${fromNow(opts.deployment().deletedAt ?? opts.deployment().updatedAt ?? '')}. Its backups are kept: restore one to bring it back at ${opts.deployment().domain}.`,
        )
      : h('p', { class: 'muted' }, 'A backup copies the databases, the stored files and the generated secrets into one file.'),
    gone ? null : h('h3', null, 'Schedule'),
    gone ? null : scheduleArea,
    status,
    error,
    body,
    restoreArea,
  );
  return { element, load, block };
}
