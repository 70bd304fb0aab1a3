import { api, ApiError, errorText, followJob } from '../api';
import { busy, failure, formatDate, h, heading, link, loading, setChildren } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import { appName, getCatalog } from '../store';
import type { App, Deployment, DriftStatus, Organisation, Run } from '../types';
import { renderPlan } from '../components/plan';
import { followRun, stepItem } from '../components/runProgress';
import { editSection } from '../components/editDeployment';
import { adminLoginCards } from '../components/adminLogins';
import { backupsCard } from '../components/backups';
import { migrationsCard } from '../components/migrations';
import { shortRevision, upgradeArea } from '../components/upgradeBanner';
import { deploymentStatusText, describeResource, plural, runKind, statusBadge } from '../words';

const ACTIVE_RUN = new Set(['queued', 'running']);
const MOVING = 'A move to another target is in progress: wait for it to end.';

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function href(url: string): string {
  return /^https?:\/\//i.test(url) ? url : `https://${url}`;
}

export async function deploymentPage({ root, params, signal }: PageContext): Promise<void> {
  const id = params.id ?? '';
  root.append(loading('Loading deployment…'));
  let dep: Deployment;
  let catalog: App[];
  try {
    [dep, catalog] = await Promise.all([api.deployment(id), getCatalog().catch(() => [] as App[])]);
  } catch (e) {
    root.replaceChildren(heading('Deployment'), failure(errorText(e)), h('p', null, link('/organisations', '← Organisations')));
    return;
  }
  if (signal.aborted) return;
  // what her role in the deployment's organisation allows (the server checks it too)
  const canWrite = session.can('deployment.write', dep.organisation);
  const canDeploy = session.can('deployment.deploy', dep.organisation);
  if (session.roleIn(dep.organisation) && !session.isOperator()) session.setCurrentOrganisation(dep.organisation);
  let org: Organisation | null = null;
  api
    .organisation(dep.organisation)
    .then((o) => {
      org = o;
      drawHeader();
    })
    .catch(() => {});

  // ---- parts of the page, redrawn in place ---------------------------------
  const crumbs = h('p', { class: 'crumbs' });
  const title = h('div', { class: 'title-row' });
  const facts = h('dl', { class: 'facts facts-wide', id: 'deployment-facts' });
  const appsList = h('ul', { class: 'list', id: 'deployment-apps' });
  const statusLine = h('p', { class: 'status-line', id: 'status-text' });
  const pendingList = h('ul', { class: 'pending-list', id: 'pending-changes' });
  const pendingBox = h('div', { class: 'notice', hidden: true, id: 'pending-box' }, h('strong', null, 'Changed since the last apply:'), pendingList);
  const actionError = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'action-error' });
  const planBtn = canDeploy
    ? h('button', { type: 'button', id: 'review-plan' }, 'Review plan')
    : h('button', { type: 'button', id: 'preview-plan' }, 'See what would change');
  const applyBtn = h('button', { type: 'button', class: 'button-primary', id: 'apply' }, 'Apply');
  const deleteBtn = h('button', { type: 'button', class: 'button-danger-quiet', id: 'delete' }, 'Delete deployment…');
  const planArea = h('div', { id: 'plan-area' });
  const progressArea = h('div', { id: 'progress-area' });
  const historyBody = h('div', { id: 'run-history' }, loading('Loading history…'));
  const driftBody = h('div', { id: 'drift' });
  const driftBtn = h('button', { type: 'button', id: 'check-drift' }, 'Check now');
  /** The plan on screen, kept by the server: Apply carries out exactly this one. */
  let reviewed: string | null = null;
  /** A saved plan was refused as stale: Apply waits until she reviews the new one. */
  let stale = false;
  const confirmBox = h('div', { class: 'confirm', hidden: true, id: 'delete-confirm', role: 'alertdialog', 'aria-labelledby': 'delete-confirm-text' });
  let running = false;
  let moving = false; // a move to another target is in progress: the server refuses applies and deletes
  /** Review, apply, delete: gone once the deployment is deleted (nothing is left to deploy). */
  const deployCard = h(
    'section',
    { class: 'card', id: 'deploy-card' },
    h('h2', null, canDeploy ? 'Deploy' : 'Changes'),
    h(
      'p',
      { class: 'muted' },
      canDeploy
        ? 'Review the plan to see what will be created or changed, then apply it. Nothing happens until you press Apply.'
        : 'See what applying would change. Members and administrators of the organisation review and apply it.',
    ),
    h('div', { class: 'actions' }, planBtn, canDeploy ? applyBtn : null, h('span', { class: 'spacer' }), canWrite ? deleteBtn : null),
    actionError,
    confirmBox,
  );

  const showActionError = (e: unknown) => {
    actionError.textContent = errorText(e);
    actionError.hidden = false;
  };
  const clearActionError = () => {
    actionError.hidden = true;
    actionError.textContent = '';
  };

  function drawHeader(): void {
    const orgName = org ? org.displayName || org.name : dep.organisation;
    crumbs.replaceChildren(
      link('/organisations', 'Organisations'),
      ' / ',
      link(`/organisations/${encodeURIComponent(dep.organisation)}`, orgName),
      ' / ',
    );
    title.replaceChildren(heading(dep.name), h('span', { id: 'deployment-status' }, statusBadge(dep.status)));
    statusLine.textContent = upperFirst(deploymentStatusText(dep.status));
    const changes = dep.settingChanges ?? [];
    pendingList.replaceChildren(
      ...(dep.status === 'deleted' || dep.status === 'deleting' ? [] : changes.map((c) => h('li', { 'data-app': c.app, 'data-setting': c.setting ?? '' }, c.text))),
    );
    pendingBox.hidden = pendingList.childElementCount === 0;
    const operator = session.isOperator();
    setChildren(
      facts,
      h('dt', null, 'Domain'),
      h('dd', { id: 'deployment-domain' }, dep.domain),
      h('dt', null, 'Organisation'),
      h('dd', null, link(`/organisations/${encodeURIComponent(dep.organisation)}`, orgName)),
      // where and with what it is built: for the provider's staff, not for customers
      operator
        ? [
            h('dt', null, 'Target'),
            h('dd', null, h('code', { id: 'deployment-target' }, dep.target ?? '—'), h('span', { class: 'muted small' }, ' (the datacenter it runs at)')),
          ]
        : null,
      operator && dep.catalogVersion ? [h('dt', null, 'Catalog version'), h('dd', { id: 'catalog-version' }, dep.catalogVersion)] : null,
      operator && dep.nixpkgsRevision
        ? [
            h('dt', null, 'Package set'),
            h('dd', null, 'nixpkgs ', h('code', { id: 'nixpkgs-revision', title: dep.nixpkgsRevision }, shortRevision(dep.nixpkgsRevision))),
          ]
        : null,
      h('dt', null, 'Created'),
      h('dd', null, formatDate(dep.createdAt)),
      dep.updatedAt ? [h('dt', null, 'Last changed'), h('dd', null, formatDate(dep.updatedAt))] : null,
    );
  }

  function drawApps(): void {
    appsList.replaceChildren(
      ...dep.apps.map((a) => {
        // live once an apply published its address (older servers: when the deployment is ready)
        const live = !!a.url && dep.status !== 'deleted' && dep.status !== 'deleting' && (a.live ?? dep.status === 'ready');
        return h(
          'li',
          { class: 'list-row', 'data-app': a.app },
          h(
            'span',
            null,
            h('strong', null, appName(catalog, a.app)),
            a.version ? h('span', { class: 'muted small app-version' }, ` version ${a.version}`) : null,
          ),
          live
            ? h('a', { href: href(a.url!), target: '_blank', rel: 'noopener noreferrer', class: 'app-url' }, a.url!)
            : dep.status === 'deleted' || dep.status === 'deleting'
              ? h('span', { class: 'muted' }, dep.status === 'deleted' ? 'removed' : 'being removed')
              : h(
                  'span',
                  { class: 'app-url-pending' },
                  a.url ? h('code', { class: 'url' }, a.url) : 'address given once applied',
                  ' ',
                  h('span', { class: 'badge status-changes-pending', 'data-pending': 'true', title: 'not published yet: it is live once you apply' }, 'pending'),
                ),
        );
      }),
    );
    if (dep.apps.length === 0) appsList.append(h('li', { class: 'empty' }, 'No apps in this deployment.'));
  }

  function drawButtons(): void {
    const gone = dep.status === 'deleted' || dep.status === 'deleting';
    deployCard.hidden = dep.status === 'deleted';
    planBtn.disabled = running || gone;
    driftBtn.disabled = running || gone || !dep.lastRun;
    applyBtn.disabled = running || moving || gone || stale;
    deleteBtn.disabled = running || moving || gone;
    for (const b of [applyBtn, deleteBtn]) b.title = moving ? MOVING : '';
    applyBtn.textContent = dep.status === 'changes pending' && dep.lastRun ? 'Apply changes' : dep.status === 'ready' ? 'Apply again' : 'Apply';
  }

  function drawAll(): void {
    drawHeader();
    drawApps();
    adminLogins.draw();
    drawButtons();
    edit.draw();
    if (dep.status === 'deleted') upgrade.element.replaceChildren();
  }

  async function refresh(): Promise<Deployment | null> {
    try {
      dep = await api.deployment(id);
      if (!signal.aborted) drawAll();
      return dep;
    } catch (e) {
      if (!signal.aborted) showActionError(e);
      return null;
    }
  }

  async function reviewPlan(): Promise<void> {
    clearActionError();
    stale = false;
    planArea.replaceChildren(loading('Working out what needs to change…'));
    try {
      const plan = canDeploy ? await api.savePlan(id) : { ...(await api.plan(id)), id: '' };
      if (signal.aborted) return;
      reviewed = plan.id || null;
      planArea.replaceChildren(
        h(
          'section',
          { class: 'card', 'data-plan': plan.id || null },
          h('h2', null, 'Plan'),
          renderPlan(plan, catalog),
          canDeploy
            ? h('p', { class: 'muted small' }, 'Apply carries out exactly this plan. If something changes in the meantime, you will be asked to review it again.')
            : null,
        ),
      );
      planArea.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    } catch (e) {
      planArea.replaceChildren();
      reviewed = null;
      showActionError(e);
    }
  }

  function drawDrift(d: DriftStatus | null): void {
    const info = dep.drift;
    const when = d?.refreshedAt ?? info?.refreshedAt ?? null;
    const items = d?.resources ?? [];
    const drifted = d ? d.drifted : !!info?.drifted;
    const count = d ? items.length : info?.count ?? 0;
    driftBody.replaceChildren(
      h(
        'p',
        { id: 'drift-summary', 'data-drifted': String(drifted) },
        dep.status === 'deleted'
          ? 'Deleted: there is nothing left to check.'
          : !dep.lastRun
            ? 'Nothing has been applied yet, so there is nothing to compare.'
            : !when
          ? `Not checked yet: fedihost reads every resource back from its provider now and then${canDeploy ? ', or when you ask' : ''}.`
          : drifted
            ? h('strong', null, `${plural(count, 'resource')} ${count === 1 ? 'differs' : 'differ'} from what was applied (checked ${formatDate(when)}). Applying repairs ${count === 1 ? 'it' : 'them'}.`)
            : `Everything matches what was applied (checked ${formatDate(when)}).`,
      ),
      items.length
        ? h(
            'ul',
            { class: 'plan-list', id: 'drift-list' },
            items.map((x) =>
              h(
                'li',
                { class: `plan-item drift-${x.status}`, 'data-key': x.resourceKey, title: x.resourceKey },
                h('span', { class: 'what' }, upperFirst(describeResource(x.resourceKey, x.resourceKey.split('/')[1] ?? '', undefined, catalog))),
                ` — ${x.status === 'missing' ? 'missing at its provider' : x.detail}`,
              ),
            ),
          )
        : '',
      d?.errors?.length ? h('div', { class: 'form-error' }, `Could not read: ${d.errors.join('; ')}`) : '',
    );
  }

  async function loadDrift(): Promise<void> {
    if (dep.status === 'deleted' || !dep.lastRun) return drawDrift(null);
    try {
      const d = await api.drift(id);
      if (!signal.aborted) drawDrift(d);
    } catch {
      if (!signal.aborted) drawDrift(null);
    }
  }

  driftBtn.addEventListener('click', () =>
    busy(driftBtn, 'Checking…', async () => {
      clearActionError();
      try {
        // A job on the server: followed to its end, its progress on the button.
        const job = await followJob(await api.refresh(id), signal, (j) => {
          if (j.progress.total) driftBtn.textContent = `Checking… ${j.progress.done}/${j.progress.total}`;
        });
        if (signal.aborted) return;
        drawDrift(job.result);
        reviewed = null;
        planArea.replaceChildren();
      } catch (e) {
        showActionError(e);
      }
    }),
  );

  const edit = editSection({
    deployment: () => dep,
    catalog,
    reload: refresh,
    onSaved: (saved) => {
      dep = saved;
      drawAll();
      void busy(planBtn, 'Reviewing…', reviewPlan).finally(drawButtons);
    },
  });

  const upgrade = upgradeArea({
    deployment: () => dep,
    catalog,
    signal,
    reload: refresh,
    onUpgraded: (upgraded) => {
      dep = upgraded;
      edit.close();
      planArea.replaceChildren(); // a plan shown before is out of date
      drawAll();
    },
    reviewPlan: () => void busy(planBtn, 'Reviewing…', reviewPlan).finally(drawButtons),
  });

  // the apps' first administrators: for those who may see their passwords
  const adminLogins = adminLoginCards({ deployment: () => dep, catalog });

  const backups = backupsCard({
    deployment: () => dep,
    canDeploy,
    canDownload: canWrite,
    canSchedule: session.can('backup.schedule', dep.organisation),
    signal,
  });

  // moves to another target: every member sees them, operators make them
  const migrations = migrationsCard({
    deployment: () => dep,
    canMove: session.isOperator(),
    onMoved: refresh,
    onMoving: (now) => {
      if (now === moving) return;
      moving = now;
      drawButtons();
      backups.block(now ? MOVING : null);
    },
    signal,
  });

  async function loadHistory(): Promise<void> {
    try {
      const page = await api.runs(id);
      if (signal.aborted) return;
      historyBody.replaceChildren(page.items.length ? historyTable(page.items) : h('p', { class: 'empty' }, 'Nothing has been applied yet.'));
    } catch (e) {
      if (!signal.aborted) historyBody.replaceChildren(failure(`Could not load the history: ${errorText(e)}`, () => void loadHistory()));
    }
  }

  function historyTable(runs: Run[]): HTMLElement {
    return h(
      'table',
      { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, 'What'), h('th', null, 'Status'), h('th', null, 'Started'), h('th', null, 'Finished'), h('th', null, 'Steps'), h('th', null, ''))),
      h(
        'tbody',
        null,
        runs.map((r) => {
          const detailsRow = h('tr', { class: 'run-details', hidden: true }, h('td', { colspan: 6 }));
          const more = h('button', { type: 'button', class: 'button-quiet small' }, 'Show steps');
          more.addEventListener('click', async () => {
            if (!detailsRow.hidden) {
              detailsRow.hidden = true;
              more.textContent = 'Show steps';
              return;
            }
            const cell = detailsRow.firstElementChild as HTMLElement;
            detailsRow.hidden = false;
            cell.replaceChildren(loading('Loading steps…'));
            try {
              const full = await api.run(r.id);
              cell.replaceChildren(
                full.error ? h('div', { class: 'form-error' }, full.error) : '',
                full.steps?.length ? h('ol', { class: 'steps' }, full.steps.map((s) => stepItem(s, catalog))) : h('p', { class: 'muted' }, 'No steps.'),
              );
              more.textContent = 'Hide steps';
            } catch (e) {
              cell.replaceChildren(failure(errorText(e)));
            }
          });
          return [
            h(
              'tr',
              { 'data-run': r.id, 'data-status': r.status },
              h('td', null, runKind(r.kind)),
              h('td', null, statusBadge(r.status, 'run'), r.error ? h('div', { class: 'small error-text' }, r.error) : null),
              h('td', null, formatDate(r.startedAt || r.createdAt)),
              h('td', null, formatDate(r.finishedAt)),
              h('td', null, r.progress ? `${r.progress.done}/${r.progress.total}` : '—'),
              h('td', null, more),
            ),
            detailsRow,
          ];
        }),
      ),
    );
  }

  function watch(run: Run): void {
    running = ACTIVE_RUN.has(run.status);
    drawButtons();
    const progress = followRun(
      run,
      catalog,
      signal,
      async () => {
        running = false;
        await refresh();
        await loadHistory();
        await loadDrift();
      },
      { canCancel: canDeploy },
    );
    progressArea.replaceChildren(progress.element);
  }

  // ---- actions -------------------------------------------------------------
  planBtn.addEventListener('click', () => busy(planBtn, 'Reviewing…', reviewPlan).finally(drawButtons));

  applyBtn.addEventListener('click', () =>
    busy(applyBtn, 'Starting…', async () => {
      clearActionError();
      try {
        const run = await api.apply(id, reviewed ?? undefined);
        reviewed = null;
        planArea.replaceChildren(); // the plan is being carried out: progress replaces it
        dep = { ...dep, status: 'applying' };
        drawAll();
        watch(run);
        void loadHistory();
      } catch (e) {
        if (reviewed && e instanceof ApiError && e.status === 409) {
          // A stale plan: say why (the server's reason), and let her make a new one.
          reviewed = null;
          stale = true;
          const again = h('button', { type: 'button', id: 'plan-again' }, 'Review the new plan');
          again.addEventListener('click', () => void busy(planBtn, 'Reviewing…', reviewPlan).finally(drawButtons));
          planArea.querySelector('section')?.classList.add('stale');
          actionError.replaceChildren(h('strong', null, 'This plan is out of date, so nothing was applied. '), errorText(e), ' ', again);
          actionError.hidden = false;
        } else {
          showActionError(e);
        }
      }
    }).finally(drawButtons),
  );

  deleteBtn.addEventListener('click', () => {
    clearActionError();
    const names = dep.apps.map((a) => appName(catalog, a.app)).join(', ') || 'the deployment';
    const yes = h('button', { type: 'button', class: 'button-danger', id: 'delete-yes' }, `Yes, delete ${dep.name}`);
    const no = h('button', { type: 'button', class: 'button-quiet' }, 'Cancel');
    no.addEventListener('click', () => (confirmBox.hidden = true));
    yes.addEventListener('click', () =>
      busy(yes, 'Deleting…', async () => {
        try {
          const run = await api.deleteDeployment(id);
          confirmBox.hidden = true;
          dep = { ...dep, status: 'deleting' };
          planArea.replaceChildren();
          drawAll();
          watch(run);
          void loadHistory();
        } catch (e) {
          confirmBox.hidden = true;
          showActionError(e);
        }
      }),
    );
    confirmBox.replaceChildren(
      h('p', { id: 'delete-confirm-text' }, h('strong', null, `Delete ${dep.name}?`), ` This removes ${names} at ${dep.domain}, with all their data. It cannot be undone.`),
      h('div', { class: 'actions' }, yes, no),
    );
    confirmBox.hidden = false;
    no.focus();
  });

  // ---- layout ----------------------------------------------------------------
  drawAll();
  root.replaceChildren(
    crumbs,
    title,
    statusLine,
    pendingBox,
    canWrite ? upgrade.element : '',
    h('section', { class: 'card' }, facts),
    // A deleted deployment's backups come first: bringing it back is what is left to do.
    dep.status === 'deleted' ? backups.element : '',
    h('section', { class: 'card' }, h('h2', null, 'Apps'), appsList),
    session.can('admin-login.reveal', dep.organisation) ? adminLogins.element : '',
    canWrite ? edit.element : '',
    deployCard,
    planArea,
    progressArea,
    h('section', { class: 'card', id: 'drift-card' }, h('div', { class: 'section-head' }, h('h2', null, 'Drift'), canDeploy ? driftBtn : null), driftBody),
    h('section', { class: 'card' }, h('h2', null, 'History'), historyBody),
    migrations.element,
    dep.status !== 'deleted' ? backups.element : '',
  );
  drawDrift(null);
  void loadDrift();

  if (dep.lastRun && ACTIVE_RUN.has(dep.lastRun.status)) watch(dep.lastRun);
  if (dep.status !== 'deleted' && canWrite) void upgrade.check();
  void backups.load();
  void migrations.load();
  await loadHistory();
}
