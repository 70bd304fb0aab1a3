// Targets: where deployments live, their providers, IP pools, and what the
// providers hold that nothing records (orphans).
import { api, errorText, followJob } from '../api';
import { busy, failure, formatDate, h, heading, loading } from '../dom';
import { field, FormErrors } from '../forms';
import type { PageContext } from '../router';
import type { Instance, IpPool, OrphanScan, TargetInfo } from '../types';
import { operatorOnly } from './users';

function providersTable(t: TargetInfo): HTMLElement {
  return h(
    'table',
    { class: 'table', 'data-target': t.name },
    h('thead', null, h('tr', null, h('th', null, 'Resource'), h('th', null, 'Provider'), h('th', null, 'Calls in parallel'), h('th', null, 'What it can do'))),
    h(
      'tbody',
      null,
      Object.entries(t.providers).map(([kind, p]) =>
        h(
          'tr',
          { 'data-kind': kind },
          h('td', null, kind),
          h('td', null, h('code', null, p.implementation)),
          h('td', null, String(p.parallelism)),
          h('td', { class: 'muted small' }, [p.canUpdateInPlace ? 'update in place' : 'replace on change', p.canList ? 'list (drift, orphans)' : ''].filter(Boolean).join(', ')),
        ),
      ),
    ),
  );
}

function poolList(pools: IpPool[]): HTMLElement {
  if (!pools.length) return h('p', { class: 'empty' }, 'No IP pool: the "pool" provider of this target has nothing to allocate from.');
  return h(
    'ul',
    { class: 'list' },
    pools.map((p) =>
      h(
        'li',
        { class: 'list-row', 'data-pool': p.id },
        h('span', null, h('strong', null, p.name), ` ${p.prefix}`, p.gateway ? h('span', { class: 'muted' }, ` via ${p.gateway}`) : null),
        h('span', { class: 'muted' }, `${p.allocated} allocated · created ${formatDate(p.createdAt)}`),
      ),
    ),
  );
}

function poolForm(target: string, onCreated: () => void): HTMLElement {
  const errors = new FormErrors();
  const name = h('input', { type: 'text', name: 'name', placeholder: 'public-v4', autocapitalize: 'off', spellcheck: 'false' });
  const prefix = h('input', { type: 'text', name: 'prefix', placeholder: '203.0.113.0/24', spellcheck: 'false' });
  const gateway = h('input', { type: 'text', name: 'gateway', placeholder: '203.0.113.1', spellcheck: 'false' });
  const submit = h('button', { type: 'submit' }, 'Add pool');
  const form = h(
    'form',
    { class: 'pool-form', novalidate: true, 'data-target': target },
    errors.top,
    h(
      'div',
      { class: 'row' },
      field({ label: 'Name', control: name, path: 'name', errors, required: true }),
      field({ label: 'Prefix', control: prefix, path: 'prefix', errors, help: 'IPv4 or IPv6, in CIDR notation.', required: true }),
      field({ label: 'Gateway', control: gateway, path: 'gateway', errors, help: 'Optional; never handed out.' }),
    ),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    void busy(submit, 'Adding…', async () => {
      try {
        const body: { name: string; prefix: string; gateway?: string } = { name: name.value.trim(), prefix: prefix.value.trim() };
        if (gateway.value.trim()) body.gateway = gateway.value.trim();
        await api.createIpPool(target, body);
        form.reset();
        onCreated();
      } catch (e) {
        errors.show(e);
      }
    });
  });
  return form;
}

function orphanList({ items, failures }: OrphanScan): HTMLElement {
  const parts: HTMLElement[] = [];
  // A provider that could not list is not "nothing orphaned": say where the scan could not look.
  if (failures.length)
    parts.push(
      h('p', { class: 'error', id: 'orphans-incomplete' }, `The scan is incomplete: ${failures.length} provider listing(s) failed.`),
      h(
        'ul',
        { class: 'plan-list', id: 'orphan-failures' },
        failures.map((f) =>
          h('li', { class: 'plan-item' }, `target ${f.target}` + (f.kind ? `, ${f.kind}` : '') + (f.deployment ? ` of ${f.deployment}` : '') + `: ${f.error}`),
        ),
      ),
    );
  if (!items.length && !failures.length) parts.push(h('p', { id: 'orphans-none' }, 'Nothing orphaned: every resource the providers hold is recorded.'));
  else if (items.length)
    parts.push(
      h(
        'ul',
        { class: 'plan-list', id: 'orphans' },
        items.map((o) => h('li', { class: 'plan-item', 'data-key': o.resourceKey }, h('code', null, o.resourceKey), ` — ${o.reason} (target ${o.target})`)),
      ),
    );
  return h('div', null, ...parts);
}

const instanceStates: Record<Instance['state'], string> = {
  alive: 'running',
  late: 'no heartbeat within its lease: about to be taken over',
  stopped: 'stopped',
};

/** The fedihost servers sharing the state database: who is alive, and what each holds. */
function instanceList(instances: Instance[]): HTMLElement {
  return h(
    'table',
    { class: 'table', id: 'instances' },
    h('thead', null, h('tr', null, h('th', null, 'Instance'), h('th', null, 'Where'), h('th', null, 'State'), h('th', null, 'Holds'))),
    h(
      'tbody',
      null,
      instances.map((i) =>
        h(
          'tr',
          { 'data-instance': i.id, 'data-state': i.state },
          h('td', null, h('code', null, i.id), i.self ? h('span', { class: 'muted' }, ' (this one)') : null),
          h('td', null, `${i.host}, pid ${i.pid}`, h('div', { class: 'muted small' }, `version ${i.version}, started ${formatDate(i.startedAt)}`)),
          h(
            'td',
            null,
            instanceStates[i.state],
            h('div', { class: 'muted small' }, i.stoppedAt ? `${formatDate(i.stoppedAt)}: ${i.stopReason ?? ''}` : `heartbeat ${formatDate(i.heartbeatAt)}, lease ${i.leaseSeconds} s`),
          ),
          h('td', null, i.state === 'stopped' ? '—' : `${i.runs} runs, ${i.jobs} jobs`),
        ),
      ),
    ),
  );
}

export async function targetsPage({ root, signal }: PageContext): Promise<void> {
  if (operatorOnly(root, 'Targets')) return;
  root.append(loading('Loading targets…'));
  let targets: TargetInfo[];
  try {
    targets = await api.targets();
  } catch (e) {
    root.replaceChildren(heading('Targets'), failure(errorText(e)));
    return;
  }
  if (signal.aborted) return;
  const orphanArea = h('div', { id: 'orphan-area' }, h('p', { class: 'muted' }, 'Lists every provider for resources no deployment records: left over by a deleted deployment, a crash, or a hand.'));
  const scan = h('button', { type: 'button', id: 'scan-orphans' }, 'Look for orphans');
  scan.addEventListener('click', () =>
    busy(scan, 'Looking…', async () => {
      try {
        // A job on the server (about one provider call per target, deployment and kind): followed to its end.
        const job = await followJob(await api.scanOrphans(), signal, (j) => {
          if (j.progress.total) scan.textContent = `Looking… ${j.progress.done}/${j.progress.total}`;
        });
        if (signal.aborted) return;
        if (job.result) orphanArea.replaceChildren(orphanList(job.result));
      } catch (e) {
        orphanArea.replaceChildren(failure(errorText(e)));
      }
    }),
  );
  const instancesCard = h('section', { class: 'card', id: 'instances-card' }, h('h2', null, 'Instances'), loading('Loading instances…'));
  const sections = targets.map((t) => {
    const pools = h('div', { class: 'pools' }, loading('Loading IP pools…'));
    const loadPools = async () => {
      try {
        pools.replaceChildren(poolList(await api.ipPools(t.name)));
      } catch (e) {
        pools.replaceChildren(failure(errorText(e)));
      }
    };
    void loadPools();
    return h(
      'section',
      { class: 'card', id: `target-${t.name}` },
      h('h2', null, t.name),
      providersTable(t),
      h('h3', null, 'IP pools'),
      pools,
      poolForm(t.name, () => void loadPools()),
    );
  });
  root.replaceChildren(
    heading('Targets'),
    h('p', { class: 'muted' }, 'Where deployments live: one provider per kind of resource. Add a target with a file in the data directory (see docs/providers.md).'),
    ...sections,
    h('section', { class: 'card' }, h('div', { class: 'section-head' }, h('h2', null, 'Orphans'), scan), orphanArea),
    instancesCard,
  );
  try {
    instancesCard.replaceChildren(h('h2', null, 'Instances'), h('p', { class: 'muted' }, 'The fedihost servers sharing the state database. Runs of one that stops answering are resumed by another once its lease has run out.'), instanceList(await api.instances()));
  } catch (e) {
    instancesCard.replaceChildren(h('h2', null, 'Instances'), failure(errorText(e)));
  }
}
