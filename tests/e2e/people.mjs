// What the browser journeys and stories share about people: signing in, a
// second factor's codes (RFC 6238, computed here from the key the page shows),
// organisations made in the panel, invitations sent and accepted, and calls of
// the API from a page with its own cookie and CSRF token.
import crypto from 'node:crypto';
import { expectCookieSession, expectText, fail } from './harness.mjs';

// ---- RFC 6238 (TOTP, HMAC-SHA1, 6 digits, 30 s) and RFC 4648 base32 ----------

export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) fail(`the second factor key ${JSON.stringify(text)} is not base32`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totpStep(ms = Date.now()) {
  return Math.floor(ms / 1000 / 30);
}

export function totp(secret, step = totpStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

export function selfTestTotp() {
  // RFC 6238 appendix B (SHA-1): the key "12345678901234567890", T = 59 s → 94287082 (8 digits)
  const key = Buffer.from('12345678901234567890');
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(1n);
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 100_000_000;
  if (n !== 94287082) fail(`the test's own TOTP is wrong: ${n}`);
  // and base32: "GEZDGNBVGY3TQOJQ" is "1234567890"
  if (base32Decode('GEZD GNBV GY3T QOJQ').toString() !== '1234567890') fail("the test's own base32 is wrong");
}

// ---- steps of the journey -------------------------------------------------------

export async function logIn(page, base, email, password) {
  await page.goto(base + '/login', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The organisation id in /organisations/<id>. */
export function orgIdOf(url) {
  const m = /\/organisations\/([^/?#]+)$/.exec(new URL(url).pathname);
  if (!m) fail(`not an organisation page: ${url}`);
  return decodeURIComponent(m[1]);
}

export async function createOrganisation(page, displayName, shortName) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organisations' }).click();
  await page.waitForURL(/\/organisations$/);
  const form = page.locator('#create-organisation');
  await form.waitFor();
  await form.locator('input[name="displayName"]').fill(displayName);
  const derived = await form.locator('input[name="name"]').inputValue();
  if (derived !== shortName) fail(`short name not derived from "${displayName}": ${JSON.stringify(derived)}`);
  await form.getByRole('button', { name: 'Create organisation' }).click();
  await page.waitForURL(/\/organisations\/[^/]+$/, { timeout: 10_000 });
  await expectText(page.locator('h1'), new RegExp(displayName), `${displayName}'s page`);
  return orgIdOf(page.url());
}

/** Invites on an organisation's page; returns the link the page shows. */
export async function invite(page, email, role) {
  const form = page.locator('#invite-form');
  await form.waitFor();
  await form.getByLabel('E-mail address').fill(email);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Invite' }).click();
  const linkBox = page.locator('[data-test="invitation-url"]');
  await linkBox.waitFor({ timeout: 10_000 }).catch(async () => {
    const errs = await form.locator('[data-error-for]:not([hidden])').allInnerTexts();
    fail(`inviting ${email} showed no link; errors: ${JSON.stringify(errs)}`);
  });
  const url = await linkBox.inputValue();
  if (!/\/invite#token=\S+/.test(url)) fail(`the invitation link does not look like <origin>/invite#token=…: ${url}`);
  await expectText(page.locator(`#invitations [data-email="${email}"]`), new RegExp(email.replace(/\./g, '\\.')), 'the invitation listed as waiting');
  return url;
}

/** Opens an invitation link on this server (its origin may be configured otherwise). */
export async function openInvitation(page, base, url) {
  const u = new URL(url, base);
  await page.goto(`${base}${u.pathname}${u.hash}`, { waitUntil: 'domcontentloaded' });
}

/** Accepts an invitation as a new account: signed in by cookie, landing on the organisation with that role. */
export async function acceptAsNewAccount({ context, page }, base, url, who, orgName, roleWord) {
  await openInvitation(page, base, url);
  await expectText(page.locator('h1'), new RegExp(`^Join ${orgName} as ${roleWord}$`), `${who.email}'s invitation page`);
  const email = await page.locator('#accept-form input[name="email"]').inputValue();
  if (email !== who.email) fail(`the accept form shows the address ${JSON.stringify(email)}, expected ${who.email}`);
  await page.getByLabel('Choose a password').fill(who.password);
  await page.getByRole('button', { name: 'Create my account and join' }).click();
  await page.waitForURL(/\/organisations\/[^/]+$/, { timeout: 10_000 }).catch(async () => {
    const errs = await page.locator('#accept-form [data-error-for]:not([hidden])').allInnerTexts();
    fail(`accepting the invitation of ${who.email} did not open the organisation; errors: ${JSON.stringify(errs)}`);
  });
  await expectText(page.locator('h1'), new RegExp(orgName), `${who.email} lands on ${orgName}`);
  await expectCookieSession(context, page, who.name);
  await expectText(page.locator('#your-role'), new RegExp(roleWord), `${who.name}'s role`);
}

/** A request of the API from the page (its session cookie and CSRF token). */
export async function call(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const headers = { Accept: 'application/json' };
      const csrf = sessionStorage.getItem('fedihost.csrf');
      if (csrf) headers['X-CSRF-Token'] = csrf;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const r = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { method, path, body },
  );
}
