// Validates src/api/openapi.json with a real OpenAPI tool (@apidevtools/swagger-parser:
// the OpenAPI 3.1 meta-schema and every $ref), then compiles each schema of the
// document with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) and checks the
// request patterns against a few names and domains that input.cc accepts or refuses.
//
//   node tests/unit/api/validate_openapi.mjs [path/to/openapi.json]
//
// The packages are looked up from web/ (devDependency @apidevtools/swagger-parser,
// which brings ajv), or from the folder in OPENAPI_TOOLS_DIR. Exit 0: valid;
// 1: invalid; 77: the validator is not installed (skipped).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const file = process.argv[2] || path.join(repo, 'src', 'api', 'openapi.json');

function load(name) {
  const from = [process.env.OPENAPI_TOOLS_DIR, path.join(repo, 'web')].filter(Boolean);
  for (const dir of from) {
    try {
      return createRequire(path.join(dir, 'package.json'))(name);
    } catch {
      // try the next place
    }
  }
  return null;
}

const SwaggerParser = load('@apidevtools/swagger-parser');
if (!SwaggerParser) {
  console.log('validate_openapi: @apidevtools/swagger-parser is not installed (npm ci in web/): skipped');
  process.exit(77);
}

const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
let failures = 0;
const fail = (msg) => {
  console.error('FAIL ' + msg);
  failures++;
};

try {
  await SwaggerParser.validate(structuredClone(doc));
  console.log(`ok   ${path.relative(process.cwd(), file)} is a valid OpenAPI ${doc.openapi} document`);
} catch (e) {
  fail(`not a valid OpenAPI document: ${e.message}`);
}

const ajvModule = load('ajv/dist/2020');
if (ajvModule) {
  const Ajv2020 = ajvModule.default || ajvModule;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', true).addFormat('uri', true).addFormat('password', true);
  // Each component schema under its own id, so that $refs between them resolve.
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema(schema, `#/components/schemas/${name}`);
  const check = (name) => {
    try {
      return ajv.compile({ $ref: `#/components/schemas/${name}` });
    } catch (e) {
      fail(`schema ${name} does not compile: ${e.message}`);
      return null;
    }
  };
  for (const name of Object.keys(doc.components.schemas)) check(name);

  const create = check('DeploymentCreate');
  if (create) {
    const body = (name, domain) => ({ name, domain, apps: [{ app: 'mastodon' }] });
    const cases = [
      [body('social', 'example.org'), true],
      [body('a', 'a.b'), true],
      [body('x'.repeat(32), 'x-1.example.co.uk'), true],
      [body('x'.repeat(33), 'example.org'), false],
      [body('-social', 'example.org'), false],
      [body('Social', 'example.org'), false],
      [body('social', 'Example.org'), false],
      [body('social', 'example'), false],
      [body('social', 'example.123'), false],
      [body('social', 'example..org'), false],
      [body('social', '-a.org'), false],
      [{ name: 'social', domain: 'example.org', apps: [] }, false],
      [{ name: 'social', domain: 'example.org' }, false],
      [{ ...body('social', 'example.org'), extra: 1 }, false],
    ];
    for (const [value, expected] of cases)
      if (create(value) !== expected) fail(`DeploymentCreate ${JSON.stringify(value)}: expected ${expected ? 'valid' : 'invalid'}`);
  }
  const org = check('OrganisationCreate');
  if (org)
    for (const [name, expected] of [['Acme', true], [' Acme ', true], ['', false], ['   ', false], ['a\tb', false], ['x'.repeat(101), false]])
      if (org({ name }) !== expected) fail(`OrganisationCreate name ${JSON.stringify(name)}: expected ${expected ? 'valid' : 'invalid'}`);
  if (!failures) console.log(`ok   ${Object.keys(doc.components.schemas).length} schemas compile (JSON Schema 2020-12); request patterns agree with input.cc`);
} else {
  console.log('skip ajv is not installed: schemas not compiled');
}

const ops = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
console.log(`${ops} operations, ${Object.keys(doc.paths).length} paths`);
console.log(failures ? `validate_openapi: 0 passed, ${failures} failed` : 'validate_openapi: 1 passed, 0 failed');
process.exit(failures ? 1 : 0);
