// A FAKE of Garage's administration API, version v1 (Garage 0.9 and 1.x), for
// tests only: Garage itself cannot be built on the test machines. It follows
// the published OpenAPI specification (/work/shared/specs/garage-admin-v1.yml,
// "Garage Administration API v0+garage-v0.9.0") for the endpoints it serves,
// and Garage's source for what the specification leaves open: the error body
// {"code", "message", "region", "path"} (pretty-printed, as serde_json does),
// 403 AccessDenied for a missing or wrong bearer token, the checks of
// ImportKey (key id "GK" + 24 hex digits, secret 64 hex digits), and the
// search of GetKeyInfo (a key id prefix or the whole name, ignoring case).
//
// It holds buckets, keys and permissions in memory; it stores no objects and
// serves no S3. What a bucket holds is set by the test through a route of the
// fake's own, outside Garage's API: PUT /_fake/bucket-usage?id=<bucket id> with
// {"objects": n, "bytes": n} (the same bearer token); GetBucketInfo then reports
// those counts (Garage's "objects" and "bytes", as BucketInfo in the
// specification), and DeleteBucket of a bucket holding objects answers 409
// BucketNotEmpty as Garage does. Not served (400, like Garage's unknown
// endpoints): cluster, layout, local aliases, alias endpoints.
//
//   node garage_admin_fake.mjs --port 0 --token TOKEN [--region garage]
// prints "garage-admin-fake listening on 127.0.0.1:<port>" once it listens.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const port = Number(args.port ?? 0);
const token = args.token;
const region = args.region ?? 'garage';
if (!token) {
  console.error('usage: garage_admin_fake.mjs --port N --token TOKEN [--region R]');
  process.exit(2);
}

/** @type {Map<string, {id: string, globalAliases: string[], websiteAccess: boolean, websiteConfig: null|object, quotas: {maxSize: number|null, maxObjects: number|null}, usage: {objects: number, bytes: number}}>} */
const buckets = new Map();
/** @type {Map<string, {id: string, name: string, secret: string, createBucket: boolean, perms: Map<string, {read: boolean, write: boolean, owner: boolean}>}>} */
const keys = new Map();

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const badRequest = (m) => new ApiError(400, 'InvalidRequest', `Bad request: ${m}`);
const noSuchBucket = (b) => new ApiError(404, 'NoSuchBucket', `Bucket not found: ${b}`);
const noSuchKey = (k) => new ApiError(404, 'NoSuchAccessKey', `Access key not found: ${k}`);
const forbidden = (m) => new ApiError(403, 'AccessDenied', `Forbidden: ${m}`);

const hex = (n) => randomBytes(n).toString('hex');
const isHex = (s, len) => typeof s === 'string' && s.length === len && /^[0-9a-fA-F]*$/.test(s);

// S3's bucket naming rules, as Garage checks them for global aliases.
function validBucketName(n) {
  return (
    typeof n === 'string' &&
    n.length >= 3 &&
    n.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(n) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(n)
  );
}

function bucketByAlias(alias) {
  for (const b of buckets.values()) if (b.globalAliases.includes(alias)) return b;
  return undefined;
}
function bucketById(id) {
  if (!isHex(id, 64)) throw badRequest('Invalid bucket id');
  const b = buckets.get(id);
  if (!b) throw noSuchBucket(id);
  return b;
}
function keyById(id) {
  const k = keys.get(id);
  if (!k) throw noSuchKey(id);
  return k;
}
const anyPerm = (p) => p && (p.read || p.write || p.owner);

function bucketInfo(b) {
  const bucketKeys = [];
  for (const k of keys.values()) {
    const p = k.perms.get(b.id);
    if (anyPerm(p))
      bucketKeys.push({
        accessKeyId: k.id,
        name: k.name,
        permissions: { read: p.read, write: p.write, owner: p.owner },
        bucketLocalAliases: [],
      });
  }
  return {
    id: b.id,
    globalAliases: [...b.globalAliases],
    websiteAccess: b.websiteAccess,
    websiteConfig: b.websiteConfig,
    keys: bucketKeys,
    objects: b.usage.objects,
    bytes: b.usage.bytes,
    unfinishedUploads: 0,
    quotas: { ...b.quotas },
  };
}

function keyInfo(k, showSecret) {
  const kb = [];
  for (const [bucketId, p] of k.perms) {
    const b = buckets.get(bucketId);
    if (!b || !anyPerm(p)) continue;
    kb.push({
      id: b.id,
      globalAliases: [...b.globalAliases],
      localAliases: [],
      permissions: { read: p.read, write: p.write, owner: p.owner },
    });
  }
  return {
    name: k.name,
    accessKeyId: k.id,
    secretAccessKey: showSecret ? k.secret : null,
    permissions: { createBucket: k.createBucket },
    buckets: kb,
  };
}

function requireFields(body, fields) {
  for (const f of fields)
    if (body[f] === undefined || body[f] === null) throw badRequest(`missing field \`${f}\``);
}
function requirePermissions(body) {
  requireFields(body, ['bucketId', 'accessKeyId', 'permissions']);
  const p = body.permissions;
  if (typeof p !== 'object') throw badRequest('invalid type for `permissions`');
  for (const f of ['read', 'write', 'owner'])
    if (typeof p[f] !== 'boolean') throw badRequest(`missing field \`${f}\``);
  return p;
}

const routes = {
  // ---- keys
  'GET /v1/key': (q) => {
    const id = q.get('id');
    const search = q.get('search');
    const show = q.get('showSecretKey') === 'true';
    if (id !== null && search !== null) throw badRequest('Either id or search must be provided (but not both)');
    if (id !== null) return [200, keyInfo(keyById(id), show)];
    if (search !== null) {
      const s = search.toLowerCase();
      const found = [...keys.values()].filter((k) => k.id.toLowerCase().startsWith(s) || k.name.toLowerCase() === s);
      if (found.length === 0) throw noSuchKey(search);
      if (found.length > 1) throw badRequest(`${found.length} matching keys`);
      return [200, keyInfo(found[0], show)];
    }
    return [200, [...keys.values()].map((k) => ({ id: k.id, name: k.name }))];
  },
  'POST /v1/key': (q, body) => {
    const id = q.get('id');
    if (id !== null) {
      // UpdateKey
      const k = keyById(id);
      if (typeof body.name === 'string') k.name = body.name;
      if (body.allow?.createBucket === true) k.createBucket = true;
      if (body.deny?.createBucket === true) k.createBucket = false;
      return [200, keyInfo(k, false)];
    }
    // CreateKey
    const k = {
      id: `GK${hex(12)}`,
      name: typeof body.name === 'string' ? body.name : 'Unnamed key',
      secret: hex(32),
      createBucket: false,
      perms: new Map(),
    };
    keys.set(k.id, k);
    return [200, keyInfo(k, true)];
  },
  'POST /v1/key/import': (q, body) => {
    requireFields(body, ['accessKeyId', 'secretAccessKey']);
    if (keys.has(body.accessKeyId))
      throw new ApiError(
        409,
        'KeyAlreadyExists',
        `Key ${body.accessKeyId} already exists in data store. Even if it is deleted, we can't let you create a new key with the same ID. Sorry.`,
      );
    const id = body.accessKeyId;
    if (!(typeof id === 'string' && id.length === 26 && id.startsWith('GK') && isHex(id.slice(2), 24)))
      throw badRequest(
        'Invalid key format: The specified key ID is not a valid Garage key ID (starts with `GK`, followed by 12 hex-encoded bytes)',
      );
    if (!isHex(body.secretAccessKey, 64))
      throw badRequest(
        'Invalid key format: The specified secret key is not a valid Garage secret key (composed of 32 hex-encoded bytes)',
      );
    const k = {
      id,
      name: typeof body.name === 'string' ? body.name : 'Imported key',
      secret: body.secretAccessKey,
      createBucket: false,
      perms: new Map(),
    };
    keys.set(k.id, k);
    return [200, keyInfo(k, false)];
  },
  'DELETE /v1/key': (q) => {
    const id = q.get('id');
    if (id === null) throw badRequest('Unknown API endpoint');
    keyById(id);
    keys.delete(id);
    return [200, null];
  },
  // ---- buckets
  'GET /v1/bucket': (q) => {
    const id = q.get('id');
    const alias = q.get('globalAlias');
    if (id !== null) return [200, bucketInfo(bucketById(id))];
    if (alias !== null) {
      const b = bucketByAlias(alias);
      if (!b) throw noSuchBucket(alias);
      return [200, bucketInfo(b)];
    }
    return [200, [...buckets.values()].map((b) => ({ id: b.id, globalAliases: [...b.globalAliases], localAliases: [] }))];
  },
  'POST /v1/bucket': (q, body) => {
    if (body.localAlias !== undefined && body.localAlias !== null)
      throw badRequest('localAlias is not implemented by this fake Garage');
    const alias = body.globalAlias;
    if (alias !== undefined && alias !== null) {
      if (!validBucketName(alias))
        throw badRequest(
          `${alias}: Invalid bucket name. See AWS documentation for constraints on S3 bucket names:\nhttps://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html`,
        );
      if (bucketByAlias(alias)) throw new ApiError(409, 'BucketAlreadyExists', 'Bucket already exists');
    }
    const b = {
      id: hex(32),
      globalAliases: alias ? [alias] : [],
      websiteAccess: false,
      websiteConfig: null,
      quotas: { maxSize: null, maxObjects: null },
      usage: { objects: 0, bytes: 0 },
    };
    buckets.set(b.id, b);
    return [200, bucketInfo(b)];
  },
  'PUT /v1/bucket': (q, body) => {
    const id = q.get('id');
    if (id === null) throw badRequest('Unknown API endpoint');
    const b = bucketById(id);
    if (body.websiteAccess !== undefined && body.websiteAccess !== null) {
      const w = body.websiteAccess;
      if (w.enabled) {
        if (typeof w.indexDocument !== 'string')
          throw badRequest('Please specify indexDocument when enabling website access.');
        b.websiteAccess = true;
        b.websiteConfig = { indexDocument: w.indexDocument, errorDocument: w.errorDocument ?? null };
      } else {
        if (w.indexDocument != null || w.errorDocument != null)
          throw badRequest('Cannot specify indexDocument or errorDocument when disabling website access.');
        b.websiteAccess = false;
        b.websiteConfig = null;
      }
    }
    if (body.quotas !== undefined && body.quotas !== null) {
      b.quotas = { maxSize: body.quotas.maxSize ?? null, maxObjects: body.quotas.maxObjects ?? null };
    }
    return [200, bucketInfo(b)];
  },
  'DELETE /v1/bucket': (q) => {
    const id = q.get('id');
    if (id === null) throw badRequest('Unknown API endpoint');
    const b = bucketById(id);
    if (b.usage.objects > 0)
      throw new ApiError(409, 'BucketNotEmpty', 'Tried to delete a non-empty bucket');
    buckets.delete(id);
    for (const k of keys.values()) k.perms.delete(id);
    return [204, null];
  },
  'POST /v1/bucket/allow': (q, body) => {
    const p = requirePermissions(body);
    const b = bucketById(body.bucketId);
    const k = keyById(body.accessKeyId);
    const cur = k.perms.get(b.id) ?? { read: false, write: false, owner: false };
    k.perms.set(b.id, { read: cur.read || p.read, write: cur.write || p.write, owner: cur.owner || p.owner });
    return [200, bucketInfo(b)];
  },
  'POST /v1/bucket/deny': (q, body) => {
    const p = requirePermissions(body);
    const b = bucketById(body.bucketId);
    const k = keyById(body.accessKeyId);
    const cur = k.perms.get(b.id) ?? { read: false, write: false, owner: false };
    k.perms.set(b.id, { read: cur.read && !p.read, write: cur.write && !p.write, owner: cur.owner && !p.owner });
    return [200, bucketInfo(b)];
  },
  // ---- the fake's own control (not Garage's API): what a bucket holds.
  'PUT /_fake/bucket-usage': (q, body) => {
    const b = bucketById(q.get('id'));
    for (const f of ['objects', 'bytes'])
      if (!Number.isSafeInteger(body[f]) || body[f] < 0) throw badRequest(`\`${f}\` must be a non-negative integer`);
    b.usage = { objects: body.objects, bytes: body.bytes };
    return [200, bucketInfo(b)];
  },
};

function send(res, status, payload, path) {
  if (payload === null) {
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(payload, null, 2);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://fake');
    const path = url.pathname;
    try {
      if (req.method === 'GET' && path === '/health') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('Garage is fully operational\nConsult the full health check API endpoint at /v1/health for more details\n');
        return;
      }
      const route = routes[`${req.method} ${path}`];
      if (!route) throw badRequest('Unknown API endpoint');
      const auth = req.headers.authorization;
      if (auth === undefined) throw forbidden('Authorization token must be provided');
      if (auth !== `Bearer ${token}`) throw forbidden('Invalid authorization token provided');
      let body = {};
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' || req.method === 'PUT') {
        try {
          body = raw.trim() === '' ? null : JSON.parse(raw);
        } catch (e) {
          throw badRequest(`Invalid JSON: ${e.message}`);
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw badRequest('Invalid JSON: expected a JSON object');
      }
      const [status, payload] = route(url.searchParams, body);
      send(res, status, payload, path);
    } catch (e) {
      if (!(e instanceof ApiError)) {
        console.error(e);
        e = new ApiError(500, 'InternalError', `Internal error: ${e.message}`);
      }
      send(res, e.status, { code: e.code, message: e.message, region, path }, path);
    }
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`garage-admin-fake listening on 127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
