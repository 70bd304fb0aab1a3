#!/usr/bin/env node
// Cuts the published Proxmox VE API schema (pve-docs' apidata.js as JSON, 1.2 MB) down to
// the paths the FAKE serves (tests/fakes/proxmox_fake.mjs), unchanged, with their
// ancestors; the result is api-schema-subset.json, which the tests use.
//
//   node tests/data/proxmox/extract.mjs ../shared/specs/proxmox-ve-api-schema.json > tests/data/proxmox/api-schema-subset.json
import { readFileSync } from 'node:fs';

const SERVED = [
  '/cluster/nextid',
  '/nodes/{node}/tasks/{upid}/status',
  '/nodes/{node}/tasks/{upid}/log',
  ...['qemu', 'lxc'].flatMap((t) => [
    `/nodes/{node}/${t}`,
    `/nodes/{node}/${t}/{vmid}`,
    `/nodes/{node}/${t}/{vmid}/config`,
    `/nodes/{node}/${t}/{vmid}/resize`,
    `/nodes/{node}/${t}/{vmid}/clone`,
    `/nodes/{node}/${t}/{vmid}/status/current`,
    `/nodes/{node}/${t}/{vmid}/status/start`,
    `/nodes/{node}/${t}/{vmid}/status/stop`,
    `/nodes/{node}/${t}/{vmid}/status/reboot`,
  ]),
];

function cut(nodes) {
  const out = [];
  for (const n of nodes) {
    const served = SERVED.includes(n.path);
    const ancestor = SERVED.some((p) => p.startsWith(n.path + '/'));
    if (!served && !ancestor) continue;
    const kept = { ...n, children: cut(n.children ?? []) };
    if (!served) delete kept.info;  // an ancestor only leads to what is served
    if (!kept.children.length) delete kept.children;
    out.push(kept);
  }
  return out;
}

const schema = JSON.parse(readFileSync(process.argv[2], 'utf8'));
process.stdout.write(JSON.stringify(cut(schema)) + '\n');
