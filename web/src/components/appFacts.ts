// What an app is, needs, is good and bad at, and how it is backed up — in plain
// words. Shared by the app page (/catalog/:id) and the comparison (/compare).
import { isOperator } from '../session';
import { h } from '../dom';
import type { App, BucketNeed, Swot } from '../types';
import { databaseName, portText } from '../words';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function sizeMiB(mib: number): string {
  return mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`;
}

function bucketName(b: BucketNeed): string {
  return typeof b === 'string' ? b : b.name;
}

/** What a bucket holds, in words ("uploaded videos, in each resolution"); its name when not described. */
export function bucketPurpose(b: BucketNeed): string {
  return typeof b === 'string' ? b : b.purpose || b.name;
}

/** "443 (secure web)", "80 (web) and 443 (secure web)" */
function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The app's needs as short sentences: "2 processor cores", "a PostgreSQL database", … */
export function needsItems(app: App): string[] {
  const n = app.needs;
  if (!n) return [];
  const out: string[] = [];
  if (n.cpu) out.push(plural(n.cpu, 'processor core', 'processor cores'));
  if (n.memoryMiB) out.push(`${sizeMiB(n.memoryMiB)} of memory`);
  if (n.diskGiB) out.push(`${n.diskGiB} GiB of disk space`);
  for (const db of n.databases ?? []) out.push(`a ${databaseName(db)} database`);
  if (n.redis) out.push('a Redis cache (for quick, temporary data)');
  if (n.buckets?.length) out.push(`storage for: ${n.buckets.map(bucketPurpose).join('; ')}`);
  if (n.mail) out.push('sends e-mail');
  if (n.ports?.length) {
    const ports = n.ports.map(portText);
    out.push(`reachable from the internet on ${ports.length === 1 ? 'port' : 'ports'} ${listWords(ports)}`);
  }
  return out;
}

export function needsList(app: App): HTMLElement {
  const items = needsItems(app);
  if (!items.length) return h('p', { class: 'muted needs' }, 'Nothing special.');
  return h('ul', { class: 'needs' }, items.map((t) => h('li', null, t)));
}

export const SWOT_PARTS: { key: keyof Swot; title: string; hint: string }[] = [
  { key: 'strengths', title: 'Strengths', hint: 'What it does well' },
  { key: 'weaknesses', title: 'Weaknesses', hint: 'Where it falls short' },
  { key: 'opportunities', title: 'Opportunities', hint: 'What it makes possible' },
  { key: 'threats', title: 'Threats', hint: 'What could go wrong' },
];

/** True when at least one of the four lists has something in it. */
export function hasSwot(swot: Swot | null | undefined): boolean {
  return !!swot && SWOT_PARTS.some((p) => (swot[p.key]?.length ?? 0) > 0);
}

/** One SWOT list (or a "not written yet" note). */
export function swotList(swot: Swot | null | undefined, key: keyof Swot): HTMLElement {
  const items = swot?.[key] ?? [];
  if (!items.length) return h('p', { class: 'muted small swot-empty' }, 'Nothing written yet.');
  return h('ul', { class: 'swot-list' }, items.map((t) => h('li', null, t)));
}

/** The four SWOT boxes. */
export function swotBoxes(app: App): HTMLElement {
  if (!hasSwot(app.swot)) {
    return h('p', { class: 'empty', id: 'swot' }, `The strengths and weaknesses of ${app.name} have not been written up yet.`);
  }
  return h(
    'div',
    { class: 'swot', id: 'swot' },
    SWOT_PARTS.map((p) =>
      h(
        'section',
        { class: `swot-box swot-${p.key}`, 'data-swot': p.key, 'aria-label': p.title },
        h('h3', null, p.title, h('span', { class: 'muted small swot-hint' }, ` · ${p.hint}`)),
        swotList(app.swot, p.key),
      ),
    ),
  );
}

/** The backup strategy in plain words: what a backup copies today, what it does not yet, whether the app pauses. */
export function backupBlock(app: App): HTMLElement {
  const b = app.backup;
  if (!b) return h('p', { class: 'empty backup' }, `How ${app.name} is backed up has not been written up yet.`);
  const buckets = app.needs?.buckets ?? [];
  const copied: HTMLElement[] = [];
  const notYet: HTMLElement[] = [];
  // What backups (bundles, docs/backup-and-migration.md) copy today: PostgreSQL databases, buckets,
  // the deployment's generated passwords and keys. Other databases and files on the machine: not yet.
  for (const db of b.databases ?? []) {
    const item = h('li', null, `the ${databaseName(db)} database (a complete copy of its contents)`);
    (db === 'postgresql' ? copied : notYet).push(item);
  }
  for (const name of b.buckets ?? []) {
    const need = buckets.find((x) => bucketName(x) === name);
    copied.push(h('li', null, `the stored ${need ? bucketPurpose(need) : `files of “${name}”`}, with their types and metadata`));
  }
  // where on the server: for the provider's staff; customers read "its files"
  const paths = b.paths ?? [];
  if (paths.length && isOperator()) for (const p of paths) notYet.push(h('li', null, 'the files in ', h('code', null, p)));
  else if (paths.length) notYet.push(h('li', null, `the files ${app.name} keeps on its server (uploads, settings and the like)`));
  if (copied.length) copied.push(h('li', null, 'the passwords and keys fedihost generated for it, encrypted'));
  return h(
    'div',
    { class: 'backup' },
    h(
      'p',
      { class: 'backup-what' },
      copied.length ? 'Each backup copies:' : 'A backup has nothing of this app to copy yet.',
    ),
    copied.length ? h('ul', null, copied) : null,
    notYet.length ? h('p', { class: 'backup-not-yet' }, 'Not copied yet (later work):') : null,
    notYet.length ? h('ul', null, notYet) : null,
    h(
      'p',
      { class: 'backup-pause', 'data-stops': b.stopForConsistency ? 'true' : 'false' },
      b.stopForConsistency
        ? `${app.name} should be paused while a copy is made; backups cannot pause apps yet, so a backup is taken while it runs (the database copy is consistent in itself, files changed during the backup may differ).`
        : `${app.name} keeps running during backups.`,
    ),
    b.notes ? h('p', { class: 'backup-notes muted' }, b.notes) : null,
  );
}

/** The licence (an SPDX expression), linked to its SPDX page when it is a single licence. */
export function licenceText(licence: string): HTMLElement {
  if (/^[A-Za-z0-9.+-]+$/.test(licence)) {
    return h(
      'a',
      { href: `https://spdx.org/licenses/${licence}.html`, target: '_blank', rel: 'noopener noreferrer', class: 'licence', title: 'What this licence allows' },
      licence,
    );
  }
  return h('span', { class: 'licence' }, licence);
}

export function activityPubBadge(app: App): HTMLElement | null {
  return app.activityPub
    ? h('span', { class: 'badge badge-ap', title: 'Talks to the rest of the Fediverse (Mastodon, PeerTube, Pixelfed and others)' }, 'speaks ActivityPub')
    : null;
}
