// A FAKE of the Proxmox VE API (/api2/json), for tests only: Proxmox cannot
// run on the test machines. It serves the calls the "proxmox" machine provider
// makes, and follows the published schema (/work/shared/specs/
// proxmox-ve-api-schema.json, pve-docs' apidata.js) to the letter for them:
// every request is checked against the schema of its method and path (unknown
// parameters, missing required ones, types, enums, patterns, lengths and the
// formats used here answer 400 "Parameter verification failed." with
// {"errors": {<param>: <message>}, "data": null}, as pve-http-server does),
// answers are {"data": …} envelopes, errors carry their message in the status
// line's reason phrase and the body {"message": "<message>\n", "data": null}.
// What the schema leaves open follows qemu-server/pve-container: tasks are
// asynchronous (a UPID "UPID:node:PID:PSTART:STARTTIME:type:id:user:" at once,
// "running" for --task-ms, then "stopped" with exitstatus "OK" or the error,
// their log ending in "TASK OK" / "TASK ERROR: …"); a clone reserves the new id
// at once with lock "clone" and an otherwise empty config (no name yet), the
// full config appears when its task ends, and a failed clone removes it; a
// guest with a lock answers 500 "VM <id> is locked (<lock>)" to changes; an id
// in use answers 500 "VM <id> already exists on node '<node>'"; a guest that
// does not exist answers 500 "Configuration file 'nodes/<node>/qemu-server/<id>.conf'
// does not exist"; a missing or wrong API token 401.
//
// Served: GET /cluster/nextid; /nodes/{node}/{qemu,lxc} (GET list);
// /nodes/{node}/{qemu,lxc}/{vmid} (DELETE), /clone (POST), /config (GET, PUT;
// POST for qemu), /resize (PUT), /status/current (GET), /status/{start,stop,
// reboot} (POST); /nodes/{node}/tasks/{upid}/status and /log (GET). Any other
// path of the schema answers 501 "Method '<M> <path>' not implemented", as
// Proxmox does for unknown methods.
//
// Not Proxmox (for the tests, outside /api2, no authentication):
//   GET /_fake/log      every /api2 request in order: {method, path, params, status}
//   GET /_fake/vms      the guests as held
//   POST /_fake/control {"failNextTask": {"type": "qmclone", "message": "…", "log": ["…"]},
//                        "lock": {"vmid": 100, "lock": "backup", "requests": 2},
//                        "stop": 100, "destroy": 100, "raceNextid": true,
//                        "hangupAfter": "clone", "taskMs": 50}
//     raceNextid: the next /cluster/nextid answer is taken by another client at once;
//     hangupAfter: the next request whose path ends so is carried out, then its
//     connection closed without an answer (a client killed mid-call sees the same).
//
//   node proxmox_fake.mjs --port 0 --cert C --key K --schema S --token 'USER@REALM!ID=SECRET'
//        [--node pve1] [--task-ms 100]
// prints "proxmox-fake listening on 127.0.0.1:<port>" once it listens.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const port = Number(args.port ?? 0);
const nodeName = args.node ?? 'pve1';
let taskMs = Number(args['task-ms'] ?? 100);
if (!args.cert || !args.key || !args.schema || !args.token) {
  console.error("usage: proxmox_fake.mjs --port N --cert C --key K --schema S --token 'USER@REALM!ID=SECRET'");
  process.exit(2);
}
const tokenEq = args.token.indexOf('=');
const tokenUser = args.token.slice(0, tokenEq); // USER@REALM!TOKENID
const tokenSecret = args.token.slice(tokenEq + 1);

// ---- the schema: METHOD path-template -> method info -------------------------------------
const schema = new Map();
(function walk(nodes) {
  for (const n of nodes) {
    for (const [m, info] of Object.entries(n.info ?? {})) schema.set(`${m} ${n.path}`, info);
    walk(n.children ?? []);
  }
})(JSON.parse(readFileSync(args.schema, 'utf8')));
const templates = [...schema.keys()].map((k) => {
  const [method, path] = k.split(' ');
  const names = [];
  const re = new RegExp('^' + path.replace(/\{([^}]+)\}/g, (_, n) => (names.push(n), '([^/]+)')) + '$');
  return { method, path, re, names };
});
function routeOf(method, path) {
  let pathKnown = false;
  for (const t of templates) {
    const m = t.re.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (t.method !== method) continue;
    const params = {};
    t.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    return { template: t.path, info: schema.get(`${method} ${t.path}`), params };
  }
  return { pathKnown };
}

class ApiError extends Error {
  constructor(status, message, errors) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}
const fail500 = (m) => new ApiError(500, m);

// Formats of the parameters the served paths use, as PVE::JSONSchema checks them.
const dnsName = /^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)\.)*([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const formats = {
  'pve-vmid': (v) => /^\d+$/.test(v) && Number(v) >= 100 && Number(v) <= 999999999 ? null : 'value does not look like a valid VM ID',
  'pve-node': (v) => (/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v) ? null : 'value does not look like a valid node name'),
  'dns-name': (v) => (dnsName.test(v) ? null : `value does not look like a valid DNS name`),
  'pve-tag-list': (v) =>
    v.split(/[;, ]/).filter((t) => t !== '').every((t) => /^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t)) ? null : 'invalid tag list',
  urlencoded: (v) => (/^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? null : `invalid urlencoded string: ${v}`),
  'address-list': (v) => (v.split(/[ ,;]+/).filter((a) => a).every((a) => ipv4.test(a)) ? null : 'invalid address list'),
  'pve-storage-id': (v) => (/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v) ? null : 'invalid storage ID'),
  'pve-poolid': (v) => (/^[A-Za-z0-9_\-/]+$/.test(v) ? null : 'invalid pool ID'),
  'pve-configid': (v) => (/^[a-z][a-z0-9_]+$/i.test(v) ? null : 'invalid configuration ID'),
  'pve-configid-list': (v) => (v.split(/[,; ]/).every((x) => /^[a-z][a-z0-9_]*$/i.test(x)) ? null : 'invalid configuration ID list'),
  'pve-qm-ipconfig': (v) => checkPropertyString(v, { ip: cidrOrDhcp, gw: ipv4Check, ip6: () => null, gw6: () => null }),
};
function ipv4Check(v) {
  return ipv4.test(v) ? null : `value does not look like a valid IPv4 address`;
}
function cidrOrDhcp(v) {
  if (v === 'dhcp') return null;
  const [a, p] = v.split('/');
  return ipv4.test(a) && /^\d+$/.test(p ?? '') && Number(p) <= 32 ? null : 'value does not look like a valid IPv4 CIDR';
}
function checkPropertyString(v, keys) {
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return `invalid format - missing key in comma-separated list property`;
    const k = part.slice(0, eq);
    if (!(k in keys)) return `invalid format - unknown key '${k}'`;
    const e = keys[k](part.slice(eq + 1));
    if (e) return `invalid format - ${k}: ${e}`;
  }
  return null;
}

function schemaOf(props, name) {
  if (props[name]) return props[name];
  const m = /^([a-z_]+?)(\d+)$/.exec(name); // "ipconfig0" is declared as "ipconfig[n]"
  if (m && props[`${m[1]}[n]`]) return props[`${m[1]}[n]`];
  return undefined;
}

// PVE::JSONSchema's checks of one request's parameters.
function verify(info, params) {
  const props = info.parameters?.properties ?? {};
  const errors = {};
  for (const [k, v] of Object.entries(params)) {
    const s = schemaOf(props, k);
    if (!s) {
      if (!info.parameters?.additionalProperties) errors[k] = 'property is not defined in schema and the schema does not allow additional properties';
      continue;
    }
    let e = null;
    if (s.type === 'integer') {
      if (!/^-?\d+$/.test(v)) e = `type check ('integer') failed - got '${v}'`;
      else if (s.minimum !== undefined && Number(v) < s.minimum) e = `value must have a minimum value of ${s.minimum}`;
      else if (s.maximum !== undefined && Number(v) > s.maximum) e = `value must have a maximum value of ${s.maximum}`;
    } else if (s.type === 'number') {
      if (!/^-?\d+(\.\d+)?$/.test(v)) e = `type check ('number') failed - got '${v}'`;
    } else if (s.type === 'boolean') {
      if (!/^(0|1|true|false|yes|no|on|off)$/i.test(v)) e = `type check ('boolean') failed - got '${v}'`;
    } else if (s.type === 'string') {
      if (s.maxLength !== undefined && v.length > s.maxLength) e = `value may only be ${s.maxLength} characters long`;
      else if (s.minLength !== undefined && v.length < s.minLength) e = `value must be at least ${s.minLength} characters long`;
      else if (s.enum && !s.enum.includes(v)) e = `value '${v}' does not have a value in the enumeration '${s.enum.join(', ')}'`;
      else if (s.pattern && !new RegExp(`^(?:${s.pattern})$`).test(v)) e = `value does not match the regex pattern`;
      else if (typeof s.format === 'string' && formats[s.format]) e = formats[s.format](v);
      else if (typeof s.format === 'object') {
        // a property string such as memory "[current=]<integer>"
        const dk = Object.entries(s.format).find(([, f]) => f.default_key)?.[0];
        for (const part of v.split(',')) {
          const eq = part.indexOf('=');
          const key = eq < 0 ? dk : part.slice(0, eq);
          if (!key || !(key in s.format)) e = `invalid format - unknown key '${key ?? part}'`;
        }
      }
    }
    if (e) errors[k] = e;
  }
  for (const [k, s] of Object.entries(props))
    if (!s.optional && !/\[n\]$/.test(k) && !(k in params)) errors[k] = 'property is missing and it is not optional';
  if (Object.keys(errors).length) throw new ApiError(400, 'Parameter verification failed.', errors);
}

// ---- state --------------------------------------------------------------------------------
const hex8 = (n) => n.toString(16).toUpperCase().padStart(8, '0');
const digestOf = () => randomBytes(20).toString('hex');
/** vmid -> {vmid, type: 'qemu'|'lxc', config, status, lock, lockRequests} */
const vms = new Map();
vms.set(9000, {
  vmid: 9000,
  type: 'qemu',
  status: 'stopped',
  config: {
    name: 'nixos-template', template: 1, cores: 1, memory: '1024', ostype: 'l26', scsihw: 'virtio-scsi-single', boot: 'order=scsi0',
    scsi0: 'local-lvm:base-9000-disk-0,size=4G', ide2: 'local-lvm:vm-9000-cloudinit,media=cdrom',
    net0: 'virtio=BC:24:11:5E:00:01,bridge=vmbr0', serial0: 'socket', agent: '1',
  },
});
vms.set(9001, {
  vmid: 9001,
  type: 'lxc',
  status: 'stopped',
  config: {
    hostname: 'nixos-ct-template', template: 1, cores: 1, memory: 512, swap: 0, ostype: 'nixos', arch: 'amd64',
    rootfs: 'local-lvm:base-9001-disk-0,size=4G', net0: 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:5E:00:02,ip=dhcp,type=veth',
  },
});
const tasks = new Map();
const requestLog = [];
let pidCounter = 4000;
const pstart = 1234567;
const controls = { failNextTask: null, raceNextid: false, hangupAfter: null };

const kindDir = (type) => (type === 'qemu' ? 'qemu-server' : 'lxc');
const label = (vm) => (vm.type === 'qemu' ? 'VM' : 'CT');
function guest(type, vmid) {
  const vm = vms.get(Number(vmid));
  if (!vm || vm.type !== type) throw fail500(`Configuration file 'nodes/${nodeName}/${kindDir(type)}/${vmid}.conf' does not exist`);
  return vm;
}
function checkLock(vm) {
  if (!vm.lock) return;
  const lock = vm.lock;
  if (vm.lockRequests !== undefined && --vm.lockRequests <= 0) {
    delete vm.lock;
    delete vm.lockRequests;
  }
  throw fail500(`${label(vm)} ${vm.vmid} is locked (${lock})`);
}

function startTask(type, id, work, logLines = []) {
  const starttime = Math.floor(Date.now() / 1000);
  const pid = pidCounter++;
  const upid = `UPID:${nodeName}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${tokenUser}:`;
  const task = { upid, node: nodeName, pid, pstart, starttime, type, id: String(id), user: tokenUser, status: 'running', log: [...logLines] };
  tasks.set(upid, task);
  let failure = null;
  if (controls.failNextTask && controls.failNextTask.type === type) {
    failure = controls.failNextTask;
    controls.failNextTask = null;
  }
  setTimeout(() => {
    try {
      if (failure) throw Object.assign(new Error(failure.message ?? 'task failed'), { extraLog: failure.log ?? [] });
      work.done?.();
      task.log.push('TASK OK');
      task.exitstatus = 'OK';
    } catch (e) {
      work.failed?.();
      for (const l of e.extraLog ?? []) task.log.push(l);
      task.log.push(`TASK ERROR: ${e.message}`);
      task.exitstatus = e.message;
    }
    task.status = 'stopped';
  }, taskMs);
  return upid;
}

function listEntry(vm) {
  const c = vm.config;
  const e = {
    vmid: vm.vmid, status: vm.status, name: (vm.type === 'qemu' ? c.name : c.hostname) ?? (vm.type === 'qemu' ? `VM ${vm.vmid}` : `CT${vm.vmid}`),
    cpus: Number(c.cores ?? 1), maxmem: parseInt(String(c.memory ?? 512).replace('current=', ''), 10) * 1048576,
    maxdisk: 0, uptime: vm.status === 'running' ? 42 : 0, cpu: 0, mem: 0, netin: 0, netout: 0, diskread: 0, diskwrite: 0,
  };
  if (vm.type === 'qemu') e.qmpstatus = vm.status;
  if (c.template) e.template = 1;
  if (c.tags) e.tags = c.tags;
  if (vm.lock) e.lock = vm.lock;
  return e;
}

function sizeOf(drive) {
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(drive ?? '');
  if (!m) return null;
  return Number(m[1]) * { '': 1 / 1073741824, K: 1 / 1048576, M: 1 / 1024, G: 1, T: 1024 }[m[2]];
}

function applyConfig(vm, params) {
  const skip = new Set(['node', 'vmid', 'digest', 'delete', 'background_delay', 'skiplock', 'revert', 'force']);
  for (const [k, v] of Object.entries(params)) if (!skip.has(k)) vm.config[k] = /^(cores|memory|swap)$/.test(k) && vm.type === 'lxc' ? Number(v) : v;
  for (const k of (params.delete ?? '').split(/[,; ]/).filter((x) => x)) delete vm.config[k];
}

// ---- the API --------------------------------------------------------------------------------
function handle(method, path, params, res) {
  if (path === '/cluster/nextid') {
    if (params.vmid) {
      if (vms.has(Number(params.vmid))) throw new ApiError(400, `VM ${params.vmid} already exists`, { vmid: `VM ${params.vmid} already exists` });
      return Number(params.vmid);
    }
    let id = 100;
    while (vms.has(id)) id++;
    if (controls.raceNextid) {
      controls.raceNextid = false; // another client clones to this id first
      vms.set(id, { vmid: id, type: 'qemu', status: 'stopped', config: { name: 'another-client' } });
    }
    return id;
  }
  let m = /^\/nodes\/([^/]+)\/tasks\/([^/]+)\/(status|log)$/.exec(path);
  if (m) {
    const task = tasks.get(decodeURIComponent(m[2]));
    if (!task) throw fail500(`unable to parse worker upid '${decodeURIComponent(m[2])}'`);
    if (m[3] === 'status') {
      const { log, ...status } = task;
      if (status.exitstatus === undefined) delete status.exitstatus;
      return status;
    }
    const start = Number(params.start ?? 0);
    const limit = Number(params.limit ?? 50);
    return task.log.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t }));
  }
  m = /^\/nodes\/([^/]+)\/(qemu|lxc)(?:\/(\d+)(\/.*)?)?$/.exec(path);
  if (!m) throw new ApiError(501, `Method '${method} /api2/json${path}' not implemented`);
  if (m[1] !== nodeName) throw fail500(`hostname lookup '${m[1]}' failed - failed to get address info for: ${m[1]}: Name or service not known`);
  const type = m[2];
  const vmid = m[3] && Number(m[3]);
  const sub = m[4] ?? '';
  const op = `${method} ${vmid ? '{vmid}' : ''}${sub}`;
  const prefix = type === 'qemu' ? 'qm' : 'vz';
  switch (op) {
    case 'GET ':
      return [...vms.values()].filter((v) => v.type === type).map(listEntry);
    case 'POST {vmid}/clone': {
      const src = guest(type, vmid);
      const newid = Number(params.newid);
      if (vms.has(newid)) throw fail500(`${label(src)} ${newid} already exists on node '${nodeName}'`);
      if (!src.config.template && params.full !== undefined && /^(0|false|no|off)$/i.test(params.full))
        throw fail500(`parameter 'full' - linked clone feature is only available for templates`);
      checkLock(src);
      const vm = { vmid: newid, type, status: 'stopped', lock: 'clone', config: {} };
      vms.set(newid, vm); // the id is reserved at once; the config is written when the task ends
      return startTask(`${prefix}clone`, vmid, {
        done() {
          const c = structuredClone(src.config);
          delete c.template;
          for (const [k, v] of Object.entries(c))
            if (typeof v === 'string') c[k] = v.replace(new RegExp(`(base|vm)-${vmid}-`, 'g'), `vm-${newid}-`);
          if (type === 'qemu') c.name = params.name ?? `Copy-of-VM-${c.name}`;
          else if (params.hostname) c.hostname = params.hostname;
          if (params.description !== undefined) c.description = params.description;
          vm.config = c;
          delete vm.lock;
        },
        failed() {
          vms.delete(newid);
        },
      }, [`create ${params.full === '1' ? 'full' : 'linked'} clone of drive (${type === 'qemu' ? 'scsi0' : 'rootfs'})`]);
    }
    case 'GET {vmid}/config': {
      const vm = guest(type, vmid);
      const c = { ...vm.config, digest: digestOf() };
      if (vm.lock) c.lock = vm.lock;
      return c;
    }
    case 'POST {vmid}/config':
    case 'PUT {vmid}/config': {
      const vm = guest(type, vmid);
      checkLock(vm);
      if (method === 'PUT') {
        applyConfig(vm, params);
        return null;
      }
      return startTask('qmconfig', vmid, { done: () => applyConfig(vm, params) }, ['update VM ' + vmid + ': ' + Object.keys(params).filter((k) => k !== 'node' && k !== 'vmid').map((k) => `-${k}`).join(' ')]);
    }
    case 'PUT {vmid}/resize': {
      const vm = guest(type, vmid);
      checkLock(vm);
      const drive = vm.config[params.disk];
      if (!drive) throw new ApiError(400, 'Parameter verification failed.', { disk: `disk '${params.disk}' does not exist` });
      const cur = sizeOf(drive);
      const sm = /^(\+?)(\d+(?:\.\d+)?)([KMGT]?)$/.exec(params.size);
      const n = Number(sm[2]) * { '': 1 / 1073741824, K: 1 / 1048576, M: 1 / 1024, G: 1, T: 1024 }[sm[3]];
      const next = sm[1] ? cur + n : n;
      if (next < cur) throw fail500(`shrinking disks is not supported`);
      return startTask('resize', vmid, { done: () => (vm.config[params.disk] = drive.replace(/size=[^,]*/, `size=${next}G`)) });
    }
    case 'GET {vmid}/status/current': {
      const vm = guest(type, vmid);
      const e = listEntry(vm);
      if (type === 'qemu') e.ha = { managed: 0 };
      else e.ha = { managed: 0 };
      return e;
    }
    case 'POST {vmid}/status/start':
    case 'POST {vmid}/status/stop':
    case 'POST {vmid}/status/reboot': {
      const vm = guest(type, vmid);
      const action = sub.split('/')[2];
      if (action === 'start' && vm.config.template) throw fail500(`you can't start a vm if it's a template`);
      checkLock(vm);
      return startTask(`${prefix}${action}`, vmid, {
        done() {
          if (action === 'start' && vm.status === 'running') throw new Error(`${label(vm)} ${vmid} already running`);
          if (action === 'reboot' && vm.status !== 'running') throw new Error(`${label(vm)} ${vmid} not running`);
          vm.status = action === 'stop' ? 'stopped' : 'running';
        },
      });
    }
    case 'DELETE {vmid}': {
      const vm = guest(type, vmid);
      checkLock(vm);
      if (vm.status === 'running') throw fail500(`${label(vm)} ${vmid} is running - destroy failed`);
      return startTask(`${prefix}destroy`, vmid, { done: () => vms.delete(vmid) });
    }
    default:
      throw new ApiError(501, `Method '${method} /api2/json${path}' not implemented`);
  }
}

function send(res, status, reason, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, reason, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = https.createServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) }, (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const url = new URL(req.url, 'https://fake');
    if (url.pathname.startsWith('/_fake/')) return control(req.method, url.pathname, body, res);
    const path = url.pathname.replace(/^\/api2\/json/, '');
    const entry = { method: req.method, path, params: {} };
    requestLog.push(entry);
    try {
      if (!url.pathname.startsWith('/api2/json/')) throw new ApiError(501, `Method '${req.method} ${url.pathname}' not implemented`);
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('PVEAPIToken=')) throw new ApiError(401, 'No ticket');
      if (auth !== `PVEAPIToken=${tokenUser}=${tokenSecret}`) throw new ApiError(401, 'invalid token value!');
      const query = Object.fromEntries(url.searchParams);
      let form = {};
      if (req.method === 'POST' || req.method === 'PUT') {
        const ct = req.headers['content-type'] ?? '';
        if (body && !ct.startsWith('application/x-www-form-urlencoded')) throw new ApiError(415, `Unsupported content type '${ct}'`);
        form = Object.fromEntries(new URLSearchParams(body));
      }
      const params = req.method === 'GET' || req.method === 'DELETE' ? query : { ...query, ...form };
      entry.params = params;
      const route = routeOf(req.method, path);
      if (!route.info) throw new ApiError(501, `Method '${req.method} /api2/json${path}' not implemented`);
      verify(route.info, { ...params, ...route.params });
      const data = handle(req.method, path, params, res);
      entry.status = 200;
      if (controls.hangupAfter && path.endsWith(controls.hangupAfter)) {
        controls.hangupAfter = null;
        entry.status = 'hung up';
        req.socket.destroy();
        return;
      }
      send(res, 200, 'OK', { data });
    } catch (e) {
      if (!(e instanceof ApiError)) {
        console.error(e);
        e = new ApiError(500, String(e.message ?? e));
      }
      entry.status = e.status;
      entry.message = e.message;
      const out = { message: `${e.message}\n`, data: null };
      if (e.errors) out.errors = e.errors;
      send(res, e.status, e.message.replace(/[\r\n]/g, ' '), out);
    }
  });
});

function control(method, path, body, res) {
  try {
    if (method === 'GET' && path === '/_fake/log') return send(res, 200, 'OK', requestLog);
    if (method === 'GET' && path === '/_fake/vms') return send(res, 200, 'OK', [...vms.values()]);
    if (method === 'POST' && path === '/_fake/control') {
      const c = JSON.parse(body || '{}');
      if (c.failNextTask) controls.failNextTask = c.failNextTask;
      if (c.raceNextid) controls.raceNextid = true;
      if (c.hangupAfter) controls.hangupAfter = c.hangupAfter;
      if (c.taskMs !== undefined) taskMs = Number(c.taskMs);
      if (c.lock) {
        const vm = vms.get(Number(c.lock.vmid));
        vm.lock = c.lock.lock;
        vm.lockRequests = c.lock.requests;
      }
      if (c.stop !== undefined) vms.get(Number(c.stop)).status = 'stopped';
      if (c.destroy !== undefined) vms.delete(Number(c.destroy));
      return send(res, 200, 'OK', { ok: true });
    }
    send(res, 404, 'Not Found', { error: 'no such control' });
  } catch (e) {
    send(res, 400, 'Bad Request', { error: String(e.message ?? e) });
  }
}

server.listen(port, '127.0.0.1', () => {
  console.log(`proxmox-fake listening on 127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
