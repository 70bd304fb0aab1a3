// Live progress of a run: follows GET /runs/{id}/events and shows each step.
import { api, ApiError, errorText, streamRunEvents } from '../api';
import { h } from '../dom';
import type { App, Run, Step } from '../types';
import { describeAction, plural, runKind, STEP_ICON, statusBadge } from '../words';

const FINISHED_STEP = new Set(['succeeded', 'skipped']);
const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled']);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function stepText(step: Step, catalog: App[]): string {
  return describeAction(step.action, step.resourceKey, step.kind, undefined, catalog);
}

export function stepItem(step: Step, catalog: App[]): HTMLLIElement {
  return h(
    'li',
    { class: `step step-${step.status}`, 'data-seq': step.seq, 'data-status': step.status, title: step.resourceKey },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, STEP_ICON[step.status] ?? '•'),
    h('span', { class: 'what' }, stepText(step, catalog)),
    statusBadge(step.status, 'step'),
    (step.attempts ?? 0) > 1
      ? h('span', { class: 'muted small step-attempts', title: 'retried after timeouts or busy answers' }, ` ${step.attempts} attempts`)
      : null,
    step.error ? h('div', { class: 'step-error' }, step.error) : null,
  );
}

export interface RunProgress {
  element: HTMLElement;
}

/**
 * Shows `run` and follows it live until it ends, then calls `onEnd` once.
 * Stops when `signal` aborts (the person left the page).
 */
export function followRun(
  run: Run,
  catalog: App[],
  signal: AbortSignal,
  onEnd: (run: Run) => void,
  opts: { canCancel?: boolean } = {},
): RunProgress {
  const canCancel = opts.canCancel !== false;
  let current: Run = run;
  const steps = new Map<number, Step>();
  const items = new Map<number, HTMLLIElement>();
  let ended = false;

  const title = h('h3', null);
  const badge = h('span');
  const bar = h('div', { class: 'bar-fill' });
  const barWrap = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-label': 'Progress' }, bar);
  const counts = h('span', { class: 'progress-text muted' });
  const note = h('p', { class: 'muted small', role: 'status' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const list = h('ol', { class: 'steps' });
  const cancelBtn = h('button', { type: 'button', class: 'button-quiet small', id: 'cancel-run' }, 'Cancel run');
  cancelBtn.addEventListener('click', async () => {
    cancelBtn.disabled = true;
    cancelBtn.textContent = 'Cancelling…';
    try {
      putRun(await api.cancelRun(current.id));
      note.textContent = 'Cancelling: steps in progress finish, nothing new starts.';
    } catch (e) {
      note.textContent = `Could not cancel: ${errorText(e)}`;
      cancelBtn.disabled = false;
      cancelBtn.textContent = 'Cancel run';
    }
  });
  const element = h(
    'section',
    { class: 'run-progress', id: 'run-progress', 'data-run': run.id },
    h('div', { class: 'section-head' }, title, badge, cancelBtn),
    barWrap,
    counts,
    error,
    list,
    note,
  );

  const draw = () => {
    const verb = current.kind === 'destroy' ? 'Deleting' : 'Deploying';
    const done = TERMINAL_RUN.has(current.status);
    title.textContent = done
      ? `${runKind(current.kind)} ${current.status === 'succeeded' ? 'finished' : current.status === 'cancelled' ? 'cancelled' : 'failed'}`
      : `${verb}…`;
    cancelBtn.hidden = done || !canCancel;
    if (current.cancelRequested && !done) {
      cancelBtn.disabled = true;
      cancelBtn.textContent = 'Cancelling…';
    }
    badge.replaceChildren(statusBadge(current.status, 'run'));
    element.dataset.status = current.status;
    let finished = 0;
    for (const s of steps.values()) if (FINISHED_STEP.has(s.status)) finished++;
    const total = Math.max(current.progress?.total ?? 0, steps.size);
    const doneCount = Math.min(total, Math.max(current.progress?.done ?? 0, finished));
    const pct = total ? Math.round((doneCount / total) * 100) : current.status === 'succeeded' ? 100 : 0;
    bar.style.width = `${pct}%`;
    barWrap.setAttribute('aria-valuemax', String(total));
    barWrap.setAttribute('aria-valuenow', String(doneCount));
    barWrap.dataset.done = String(doneCount);
    barWrap.dataset.total = String(total);
    counts.textContent = total ? `${doneCount} of ${plural(total, 'step')} done (${pct}%)` : current.status === 'queued' ? 'Waiting to start…' : 'Preparing steps…';
    if (current.error) {
      error.textContent = current.error;
      error.hidden = false;
    } else error.hidden = true;
  };

  const putStep = (s: Step) => {
    steps.set(s.seq, s);
    const li = stepItem(s, catalog);
    const old = items.get(s.seq);
    if (old) old.replaceWith(li);
    else {
      // keep the list ordered by seq
      const after = [...items.entries()].filter(([seq]) => seq > s.seq).sort((a, b) => a[0] - b[0])[0];
      if (after) list.insertBefore(li, after[1]);
      else list.append(li);
    }
    items.set(s.seq, li);
    draw();
  };

  const putRun = (r: Run) => {
    current = { ...current, ...r, steps: undefined };
    if (r.steps) r.steps.forEach(putStep);
    draw();
    if (TERMINAL_RUN.has(current.status) && !ended) {
      ended = true;
      note.textContent = '';
      onEnd(current);
    }
  };

  /** Asks for the run (with its steps) instead of listening: the fallback when there is no stream. */
  const poll = async () => {
    while (!signal.aborted && !ended) {
      try {
        putRun(await api.run(current.id));
        note.textContent = '';
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) {
          note.textContent = `Cannot follow this run: ${errorText(e)}`;
          return;
        }
        note.textContent = `Connection interrupted (${errorText(e)}); trying again…`;
      }
      if (!ended) await sleep(1000, signal);
    }
  };

  const follow = async () => {
    for (let attempt = 0; !signal.aborted && !ended; attempt++) {
      try {
        await streamRunEvents(
          current.id,
          { onStep: putStep, onRun: putRun, onError: (m) => (note.textContent = `The server stopped the live view: ${m}`) },
          signal,
        );
        note.textContent = '';
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) return; // the panel goes back to the login page
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
          return poll(); // no live stream for this run: ask every second instead
        }
        note.textContent = `Connection interrupted (${errorText(e)}); reconnecting…`;
      }
      if (ended || signal.aborted) return;
      // the stream closed before the run ended: ask for its state, then listen again
      try {
        putRun(await api.run(current.id));
      } catch (e) {
        if (signal.aborted) return;
        note.textContent = `Connection interrupted (${errorText(e)}); reconnecting…`;
      }
      if (ended) return;
      await sleep(Math.min(500 * (attempt + 1), 5000), signal);
    }
  };

  if (run.steps) run.steps.forEach(putStep);
  draw();
  if (TERMINAL_RUN.has(run.status)) {
    ended = true;
  } else {
    void follow();
  }
  return { element };
}
