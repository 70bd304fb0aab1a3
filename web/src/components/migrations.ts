// The Migrations card of a deployment page (docs/backup-and-migration.md, "Migration"): every
// member sees how the deployment moved between targets and with how much downtime; operators
// move it to another target ("Move to another target…", a confirmation that says what happens,
// then the live view) and remove what a move left at the old target.
import { api, errorText } from '../api';
import { busy, failure, formatDate, h, loading } from '../dom';
import type { Deployment, Migration } from '../types';
import { copyText, downtimeText, migrationPhaseText, migrationStatusText, oldSideText } from '../words';

const ENDED = new Set(['succeeded', 'failed']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One migration in a sentence, for customers as for operators. */
export function migrationSentence(m: Migration): string {
  const when = formatDate(m.finishedAt || m.startedAt || m.createdAt);
  if (m.status === 'succeeded')
    return `Moved from ${m.from} to ${m.to} on ${when}, with ${m.downtimeMs === null ? 'no measured' : downtimeText(m.downtimeMs)} of downtime.`;
  if (m.status === 'failed') {
    const down = m.downtimeMs !== null ? ` Writes were stopped for ${downtimeText(m.downtimeMs)}.` : ' The app kept running meanwhile.';
    return `A move from ${m.from} to ${m.to} failed on ${when} and was rolled back: it stays at ${m.from}.${down}`;
  }
  return `Moving from ${m.from} to ${m.to} (asked for on ${formatDate(m.createdAt)}).`;
}

export interface MigrationsCardOptions {
  deployment: () => Deployment;
  /** Operators: targets are the provider's. */
  canMove: boolean;
  /** Called once a move has cut over: the deployment's target changed. */
  onMoved: () => Promise<unknown>;
  /** Called with true while a move is in progress (the server refuses applies and backups meanwhile), false after. */
  onMoving: (moving: boolean) => void;
  signal: AbortSignal;
}

export function migrationsCard(opts: MigrationsCardOptions): { element: HTMLElement; load: () => Promise<void> } {
  const gone = () => opts.deployment().status === 'deleted' || opts.deployment().status === 'deleting';
  const body = h('div', { id: 'migrations' }, loading('Loading migrations…'));
  const note = h('p', { id: 'moved-note', hidden: true });
  const moveArea = h('div', { id: 'move-area' });
  const moveBtn = h('button', { type: 'button', id: 'move' }, 'Move to another target…');
  let watching: string | null = null;

  async function load(): Promise<void> {
    try {
      const items = await api.migrations(opts.deployment().id);
      if (opts.signal.aborted) return;
      const moved = items.find((m) => m.status === 'succeeded');
      note.textContent = moved ? migrationSentence(moved) : '';
      note.hidden = !moved;
      body.replaceChildren(items.length ? table(items) : h('p', { class: 'empty' }, `${opts.deployment().name} has not been moved to another target.`));
      const active = items.find((m) => !ENDED.has(m.status));
      moveBtn.disabled = gone() || !!active;
      opts.onMoving(!!active);
      // A move in progress (asked for elsewhere, or before this page was opened) is followed here.
      if (active && opts.canMove && watching !== active.id) void follow(active);
    } catch (e) {
      if (!opts.signal.aborted) body.replaceChildren(failure(`Could not load the migrations: ${errorText(e)}`, () => void load()));
    }
  }

  function table(items: Migration[]): HTMLElement {
    return h(
      'table',
      { class: 'table migrations-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, 'Asked for'),
          h('th', null, 'From → to'),
          h('th', null, 'Status'),
          h('th', null, 'Downtime'),
          h('th', null, 'Old side'),
          opts.canMove ? h('th', null, '') : null,
        ),
      ),
      h(
        'tbody',
        null,
        ...items.map((m) =>
          h(
            'tr',
            { 'data-migration': m.id, 'data-status': m.status },
            h('td', null, formatDate(m.createdAt)),
            h('td', { class: 'migration-route' }, `${m.from} → ${m.to}`),
            h(
              'td',
              null,
              h('span', { class: `badge status-${m.status === 'succeeded' ? 'ready' : m.status}`, 'data-status': m.status }, migrationStatusText(m.status)),
              // why, in the provider's terms: for the operators who can act on it
              opts.canMove && m.status === 'failed' && m.error ? h('div', { class: 'small error-text' }, m.error) : null,
            ),
            h('td', { class: 'migration-downtime', 'data-ms': m.downtimeMs ?? '' }, m.downtimeMs === null ? '—' : downtimeText(m.downtimeMs)),
            h(
              'td',
              { class: 'migration-old-side', 'data-old-side': m.oldSide ?? '' },
              oldSideText(m.oldSide, m.from),
              opts.canMove && m.oldSide === 'failed' && m.error ? h('div', { class: 'small error-text' }, m.error) : null,
              h('div', { class: 'old-side-result small', 'aria-live': 'polite' }),
            ),
            opts.canMove
              ? h('td', { class: 'actions' }, m.status === 'succeeded' && (m.oldSide === 'kept' || m.oldSide === 'failed') ? removeOldSideButton(m) : null)
              : null,
          ),
        ),
      ),
    );
  }

  /** "Remove old side at dc1…": a confirmation, then the removal followed to its end. */
  function removeOldSideButton(m: Migration): HTMLElement {
    const btn = h('button', { type: 'button', class: 'remove-old-side' }, `Remove old side at ${m.from}…`);
    btn.addEventListener('click', () => {
      const dep = opts.deployment();
      const yes = h('button', { type: 'button', class: 'button-danger', id: 'old-side-yes' }, `Yes, remove it at ${m.from}`);
      const no = h('button', { type: 'button', class: 'button-quiet', id: 'old-side-no' }, 'Cancel');
      const out = h('div', { id: 'old-side-progress', 'aria-live': 'polite' });
      const box = h(
        'div',
        { class: 'confirm', id: 'old-side-confirm', role: 'alertdialog', 'aria-labelledby': 'old-side-text' },
        h(
          'p',
          { id: 'old-side-text' },
          h('strong', null, `Remove what is left of ${dep.name} at ${m.from}?`),
          ` Its copy there (databases, stored files, machines) is deleted; ${dep.name} keeps running at ${m.to}. Without it there is no way back to ${m.from} but a new move. This cannot be undone.`,
        ),
        h('div', { class: 'actions' }, yes, no),
        out,
      );
      no.addEventListener('click', () => moveArea.replaceChildren());
      yes.addEventListener('click', () =>
        busy(yes, 'Removing…', async () => {
          no.hidden = true;
          try {
            let r = await api.removeOldSide(m.id);
            while (r.oldSide === 'removing' && !opts.signal.aborted) {
              out.textContent = `Removing the old side at ${m.from}…`;
              await sleep(700);
              r = await api.migration(m.id);
            }
            yes.hidden = true;
            out.replaceChildren(
              r.oldSide === 'removed'
                ? h('p', { id: 'old-side-done' }, `Removed: nothing of ${dep.name} is left at ${m.from}.`)
                : h('p', { class: 'form-error', id: 'old-side-failed' }, `The removal did not finish: ${r.error ?? 'some is left'}. Asking again retries.`),
            );
          } catch (e) {
            out.replaceChildren(h('p', { class: 'form-error', id: 'old-side-failed' }, errorText(e)));
            no.hidden = false;
          }
          await load();
        }),
      );
      moveArea.replaceChildren(box);
      no.focus();
    });
    return btn;
  }

  /** The live view of one migration: phase in words, a progress bar, then the downtime or the failure. */
  async function follow(start: Migration): Promise<void> {
    watching = start.id;
    moveBtn.disabled = true;
    opts.onMoving(true);
    const phase = h('p', { id: 'migration-phase' });
    const fill = h('div', { class: 'bar-fill' });
    const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-label': 'Progress of the move' }, fill);
    const counts = h('span', { class: 'progress-text muted', id: 'migration-counts' });
    const result = h('div', { id: 'migration-result', 'aria-live': 'polite' });
    const view = h(
      'div',
      { class: 'run-progress', id: 'migration-progress', 'data-migration': start.id, 'data-status': start.status },
      h('h3', null, `Moving ${opts.deployment().name} from ${start.from} to ${start.to}`),
      phase,
      bar,
      counts,
      result,
    );
    moveArea.replaceChildren(view);
    const draw = (m: Migration) => {
      view.dataset.status = m.status;
      view.dataset.phase = m.phase;
      phase.textContent = ENDED.has(m.status) ? '' : migrationPhaseText(m.phase, m.from, m.to);
      phase.hidden = ENDED.has(m.status);
      const pct = m.total ? Math.round((Math.min(m.done, m.total) / m.total) * 100) : m.status === 'succeeded' ? 100 : 0;
      fill.style.width = `${pct}%`;
      bar.setAttribute('aria-valuemax', String(m.total));
      bar.setAttribute('aria-valuenow', String(m.done));
      bar.dataset.done = String(m.done);
      bar.dataset.total = String(m.total);
      counts.textContent = m.total ? `${m.done} of ${m.total} parts done (${pct}%)` : m.status === 'queued' ? 'Waiting to start…' : 'Preparing…';
    };
    let m = start;
    try {
      draw(m);
      while (!ENDED.has(m.status) && !opts.signal.aborted) {
        await sleep(500);
        m = await api.migration(m.id);
        if (!opts.signal.aborted) draw(m);
      }
      if (opts.signal.aborted) return;
      const copies = m.copies?.length
        ? h('ul', { id: 'migration-copies', class: 'small' }, ...m.copies.map((c) => h('li', { 'data-part': c.part, 'data-method': c.method }, copyText(c))))
        : null;
      result.replaceChildren(
        m.status === 'succeeded'
          ? h(
              'div',
              null,
              h(
                'p',
                { id: 'migration-done' },
                h('strong', null, `Moved to ${m.to}. `),
                h('span', { id: 'migration-downtime', 'data-ms': m.downtimeMs ?? '' }, `Downtime: ${m.downtimeMs === null ? 'not measured' : downtimeText(m.downtimeMs)}.`),
                ` The old side at ${m.from} is kept, not in use, until you remove it.`,
              ),
              copies,
            )
          : h(
              'div',
              { class: 'form-error', id: 'migration-failed' },
              // the error names the part at fault (failedPart) itself
              h('p', null, h('strong', null, `The move to ${m.to} failed: `), m.error ?? ''),
              h(
                'p',
                { id: 'migration-rolled-back' },
                `It was rolled back: ${opts.deployment().name} runs at ${m.from} as before.`,
                m.downtimeMs !== null ? ` Writes were stopped for ${downtimeText(m.downtimeMs)}.` : ' The app kept running meanwhile.',
              ),
            ),
      );
      if (m.status === 'succeeded') await opts.onMoved();
    } catch (e) {
      if (!opts.signal.aborted) result.replaceChildren(h('p', { class: 'form-error', id: 'migration-failed' }, errorText(e)));
    } finally {
      watching = null;
    }
    if (!opts.signal.aborted) await load();
  }

  /** Choose a target among the others, then a confirmation that says what happens. */
  moveBtn.addEventListener('click', () =>
    busy(moveBtn, 'Loading targets…', async () => {
      const dep = opts.deployment();
      let others: string[];
      try {
        others = (await api.targets()).map((t) => t.name).filter((n) => n !== dep.target);
      } catch (e) {
        moveArea.replaceChildren(failure(`Could not load the targets: ${errorText(e)}`));
        return;
      }
      const cancel = h('button', { type: 'button', id: 'move-cancel' }, 'Cancel');
      cancel.addEventListener('click', () => moveArea.replaceChildren());
      if (others.length === 0) {
        moveArea.replaceChildren(
          h(
            'div',
            { class: 'confirm', id: 'move-form' },
            h('p', { id: 'move-none' }, `There is no other target to move ${dep.name} to: ${dep.target} is the only one configured. Add one (a file in the data directory’s targets/ folder, read when fedihost starts) first.`),
            h('div', { class: 'actions' }, cancel),
          ),
        );
        return;
      }
      const select = h('select', { id: 'move-target', name: 'target' }, ...others.map((n) => h('option', { value: n }, n)));
      const go = h('button', { type: 'submit', class: 'button-primary', id: 'move-go' });
      const error = h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'move-error' });
      const what = h('ul', { id: 'move-what' });
      const sync = () => {
        const to = select.value;
        go.textContent = `Move ${dep.name} to ${to}`;
        what.replaceChildren(
          h('li', null, `${dep.name} keeps running at ${dep.target} while its databases and stored files are copied to ${to}.`),
          h('li', null, `Then a short cut-over: writes stop while the last changes are copied, the address is switched to ${to} and its health is checked. The downtime is measured and shown here.`),
          h('li', null, `If anything fails, the move is rolled back automatically and ${dep.name} stays at ${dep.target}.`),
          h('li', null, `After the move, the old copy at ${dep.target} is kept, not in use, until you remove it.`),
        );
      };
      select.addEventListener('change', sync);
      sync();
      const form = h(
        'form',
        { class: 'restore-form', id: 'move-form', novalidate: true },
        h('label', null, 'Move to ', select),
        what,
        error,
        h('div', { class: 'actions' }, go, cancel),
      );
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        void busy(go, 'Starting…', async () => {
          error.hidden = true;
          try {
            const m = await api.migrate(dep.id, select.value);
            void follow(m);
            void load();
          } catch (e) {
            error.textContent = errorText(e);
            error.hidden = false;
          }
        });
      });
      moveArea.replaceChildren(form);
      select.focus();
    }),
  );

  const element = h(
    'section',
    { class: 'card', id: 'migrations-card' },
    h('div', { class: 'section-head' }, h('h2', null, 'Migrations'), opts.canMove && !gone() ? moveBtn : null),
    h('p', { class: 'muted' }, 'A migration moves the deployment to another datacenter (target): same address, same data.'),
    note,
    moveArea,
    body,
  );
  return { element, load };
}
