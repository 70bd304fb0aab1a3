#!/usr/bin/env node
// End-to-end journey of tenancy (docs/accounts.md) in a real browser, one
// browser context (one set of cookies) per person.
//
//   cd web && npm install && npm run build && cd .. && node tests/e2e/tenancy_journey.mjs
//
// Starts `fedihost serve` on a free loopback port with a fresh data directory
// (no `init`: the first start creates an operator and writes its password to
// <data>/initial-password) and drives Debian's chromium with playwright-core:
//
//  1. The operator logs in, creates "Riverside School" and "Harbour Band",
//     creates a deployment in Riverside School, and invites Mariam as its
//     administrator, reading the invitation link from the page.
//  2. Mariam, in a fresh context, opens the link, chooses her password (and
//     is signed in), sets up a second factor (the code is computed here from
//     the key the page shows, RFC 6238), logs out and back in with a wrong
//     code (explained next to the field) and then a right one, adds her own
//     domain (the TXT record to publish is shown), creates and revokes an API
//     token, and invites Vera as a viewer.
//  3. Vera, in another context, accepts and sees her organisation only (not
//     Harbour Band, not even by its address), no New deployment, Deploy,
//     Apply, Edit or Delete, no Targets or Users; a direct fetch creating a
//     deployment with her cookie and CSRF token gets 403.
// Prints "1 passed, 0 failed" or "0 passed, 1 failed" last.
//
// Environment (FEDIHOST_BIN, FEDIHOST_WEB, FEDIHOST_SCREENSHOT, ...): see harness.mjs.

import { expectCookieSession, expectNone, expectText, fail, log, runJourney, sleep, snap } from './harness.mjs';
import { acceptAsNewAccount, createOrganisation, invite, logIn, selfTestTotp, totp, totpStep } from './people.mjs';

const MARIAM = { name: 'Mariam', email: 'mariam@riverside.example', password: 'seven purple kites over the harbour' };
const VERA = { name: 'Vera', email: 'vera@riverside.example', password: 'quiet library lamps at midnight' };

async function journey({ base, operator, person, saveScreenshot }) {
  selfTestTotp();

  // ---- 1. the operator ----------------------------------------------------------
  const op = await person('operator');
  let page = op.page;
  log(`operator ${operator.email} logs in`);
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForURL(/\/login/, { timeout: 10_000 });
  await logIn(page, base, operator.email, operator.password);
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });
  await expectCookieSession(op.context, page, 'operator');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Targets' }).waitFor();
  await nav.getByRole('link', { name: 'Users' }).waitFor();

  log('operator creates "Riverside School" and "Harbour Band"');
  const riverside = await createOrganisation(page, 'Riverside School', 'riverside-school');
  const harbour = await createOrganisation(page, 'Harbour Band', 'harbour-band');
  log(`  ${riverside}, ${harbour}`);

  log('operator creates a deployment in Riverside School (not applied)');
  await page.goto(`${base}/organisations/${encodeURIComponent(riverside)}`);
  await page.locator('#new-deployment').click();
  await page.waitForURL(/\/new/);
  const newForm = page.locator('#new-deployment-form');
  await newForm.waitFor({ timeout: 10_000 });
  if ((await newForm.locator('select[name="organisation"]').inputValue()) !== riverside) fail('the new deployment form did not preselect Riverside School');
  await newForm.locator('input[name="name"]').fill('social');
  await newForm.locator('input[name="domain"]').fill('social.riverside.example');
  await newForm.locator('#app-mastodon').check();
  await newForm.getByRole('button', { name: 'Create deployment' }).click();
  await page.waitForURL(/\/deployments\/[^/]+$/, { timeout: 10_000 }).catch(async () => {
    fail(`creating the deployment failed: ${JSON.stringify(await newForm.locator('[data-error-for]:not([hidden])').allInnerTexts())}`);
  });
  const deploymentPath = new URL(page.url()).pathname;
  await page.locator('#apply').waitFor();

  log('operator invites Mariam as the administrator of Riverside School');
  await page.goto(`${base}/organisations/${encodeURIComponent(riverside)}`);
  await expectText(page.locator('h1'), /Riverside School/, 'Riverside School page');
  const mariamLink = await invite(page, MARIAM.email, 'org-admin');
  log(`  link: ${mariamLink.replace(/token=.*/, 'token=…')}`);
  await snap(page, 'operator-invited');

  // ---- 2. Mariam, the customer's administrator ------------------------------------------
  const m = await person('mariam');
  page = m.page;
  log('Mariam opens the link, chooses her password and is signed in');
  await acceptAsNewAccount(m, base, mariamLink, MARIAM, 'Riverside School', 'Administrator');
  await expectText(page.locator(`#members [data-email="${MARIAM.email}"]`), /mariam/, 'Mariam among the people');
  if ((await page.locator(`#members [data-email="${MARIAM.email}"] select`).inputValue()) !== 'org-admin') fail("Mariam's role in the people list is not org-admin");
  await page.locator('#new-deployment').waitFor(); // an administrator may create deployments
  await snap(page, 'mariam-organisation');

  log('Mariam sets up a second factor from the key the page shows');
  await page.locator('#account-link').click();
  await page.waitForURL(/\/account$/);
  await page.getByRole('button', { name: 'Set up a second factor' }).click();
  const secretText = await expectText(page.locator('[data-test="totp-secret"]'), /^[A-Z2-7 ]{16,}$/, 'the second factor key');
  const secret = secretText.replace(/\s+/g, '');
  await page.locator('#totp-qr svg').waitFor({ state: 'visible' });
  await snap(page, 'mariam-totp-setup');
  const uri = await page.locator('[data-test="totp-uri"]').inputValue();
  if (!uri.startsWith('otpauth://totp/') || !uri.toUpperCase().includes(`SECRET=${secret}`)) fail(`the setup link does not carry the key: ${uri}`);
  // a code near the end of its step could expire on the way: wait for a fresh one
  if (30 - ((Date.now() / 1000) % 30) < 4) await sleep(4_500);
  const confirmStep = totpStep();
  await page.getByLabel('Code from the app').fill(totp(secret, confirmStep));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.locator('[data-test="recovery-codes"] li');
  await codes.first().waitFor({ timeout: 10_000 }).catch(async () => {
    fail(`confirming the second factor failed: ${JSON.stringify(await page.locator('#totp [data-error-for]:not([hidden])').allInnerTexts())}`);
  });
  const nCodes = await codes.count();
  if (nCodes !== 10) fail(`expected 10 recovery codes, found ${nCodes}`);
  await snap(page, 'mariam-recovery-codes');
  await page.getByRole('button', { name: 'I have kept them somewhere safe' }).click();
  await expectText(page.locator('#totp-status'), /^On$/, 'second factor on');

  log('Mariam logs out and back in: a wrong code, then the right one');
  await page.locator('#logout').click();
  await page.waitForURL(/\/login/, { timeout: 10_000 });
  await logIn(page, base, MARIAM.email, MARIAM.password);
  const codeBox = page.getByLabel('Code from your authenticator app');
  await codeBox.waitFor({ state: 'visible', timeout: 10_000 });
  let wrong = '000000';
  for (const s of [totpStep() - 1, totpStep(), totpStep() + 1]) if (totp(secret, s) === wrong) wrong = '999999';
  await codeBox.fill(wrong);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectText(page.locator('[data-error-for="totp"]'), /\S/, 'a wrong code is explained next to the code field');
  if (!/\/login/.test(page.url())) fail('a wrong code signed Mariam in');
  await snap(page, 'mariam-wrong-code');
  // each time step is accepted once: the one used to confirm cannot sign in again
  while (totpStep() <= confirmStep) await sleep(500);
  if (30 - ((Date.now() / 1000) % 30) < 3) await sleep(3_500);
  await codeBox.fill(totp(secret));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 }).catch(async () => {
    fail(`the right code did not sign Mariam in: ${JSON.stringify(await page.locator('form.login-form [data-error-for]:not([hidden])').allInnerTexts())}`);
  });
  log('Mariam lands on her dashboard: her organisation\'s deployment, not applied yet, needs attention');
  await page.waitForURL(/\/dashboard$/, { timeout: 10_000 });
  await expectText(page.locator('h1'), /^Your deployments$/, "Mariam's dashboard");
  await expectText(page.locator(`section[data-organisation="${riverside}"] .dash-deployment .badge`), /^changes pending$/, 'the deployment\'s status on the dashboard');
  await expectText(page.locator('#attention-list'), /Not applied yet/, 'the unapplied deployment needs attention');
  await expectNone(page.getByText('Harbour Band'), "Harbour Band shown on Mariam's dashboard");
  await page.locator(`section[data-organisation="${riverside}"] h2 a`).click();
  await page.waitForURL(new RegExp(`/organisations/${riverside}$`), { timeout: 10_000 });

  log('Mariam adds her own domain: the TXT record to publish is shown');
  const domainForm = page.locator('#domain-form');
  await domainForm.getByLabel('Your domain').fill('riverside.example');
  await domainForm.getByRole('button', { name: 'Add domain' }).click();
  const domainRow = page.locator('#domains [data-domain="riverside.example"]');
  await expectText(domainRow.locator('[data-test="domain-status"]'), /waiting/, 'the domain waits for its record');
  const challengeName = await domainRow.locator('[data-test="challenge-name"]').inputValue();
  if (challengeName !== '_fedihost-challenge.riverside.example') fail(`the TXT record's name is ${JSON.stringify(challengeName)}`);
  if (!(await domainRow.locator('[data-test="challenge-value"]').inputValue())) fail("the TXT record's value is empty");
  await snap(page, 'mariam-domain');

  log('Mariam creates an API token (shown once), sees it listed, and revokes it');
  await page.locator('#account-link').click();
  await page.waitForURL(/\/account$/);
  const tokenForm = page.locator('#token-form');
  await tokenForm.locator('input[name="name"]').fill('backup script');
  await tokenForm.getByRole('button', { name: 'Create token' }).click();
  const tokenValue = await page.locator('[data-test="new-token"]').inputValue();
  if (tokenValue.length < 16) fail(`the new token looks too short: ${JSON.stringify(tokenValue)}`);
  const tokenRow = page.locator('#tokens tr[data-token]', { hasText: 'backup script' });
  await expectText(tokenRow.locator('[data-test="last-used"]'), /never/, 'the new token was never used');
  await tokenRow.getByRole('button', { name: 'Revoke' }).click();
  await tokenRow.waitFor({ state: 'detached', timeout: 10_000 });
  await expectText(page.locator('#sessions [data-session]'), /\S/, 'the sessions list');

  log('Mariam invites Vera as a viewer');
  await page.goto(`${base}/organisations/${encodeURIComponent(riverside)}`);
  const veraLink = await invite(page, VERA.email, 'viewer');

  // ---- 3. Vera, a viewer ------------------------------------------------------------------
  const v = await person('vera');
  page = v.page;
  log('Vera accepts in another browser context');
  await acceptAsNewAccount(v, base, veraLink, VERA, 'Riverside School', 'Viewer');
  await expectText(page.locator('#deployments [data-deployment]'), /social/, 'Vera sees the deployment');

  log('Vera sees no create, deploy, apply, edit or delete; no Targets, Users or switcher');
  const vnav = page.getByRole('navigation', { name: 'Main' });
  await expectNone(vnav.getByRole('link', { name: 'New deployment' }), 'the viewer has a New deployment link');
  await expectNone(vnav.getByRole('link', { name: 'Targets' }), 'the viewer has a Targets link');
  await expectNone(vnav.getByRole('link', { name: 'Users' }), 'the viewer has a Users link');
  await expectNone(page.locator('#organisation-switcher'), 'the viewer of one organisation has a switcher');
  await expectNone(page.locator('#new-deployment'), 'the viewer has a New deployment button');
  await expectNone(page.locator('#members-card, #invitations-card, #domains-card, #danger-zone'), 'the viewer manages the organisation');

  await page.goto(base + deploymentPath);
  await expectText(page.locator('h1'), /^social$/, "the deployment's page");
  await page.locator('#run-history').waitFor();
  await expectNone(page.getByRole('button', { name: /apply|deploy|delete|edit|review plan|upgrade|check now|cancel/i }), 'the viewer has an action button');
  await expectNone(page.locator('#apply, #delete, #review-plan, #edit-open, #check-drift'), 'the viewer has an action button');
  await snap(page, 'vera-deployment');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
  await page.locator('#catalog .app-card').first().waitFor({ timeout: 10_000 });
  await expectNone(page.getByRole('link', { name: /^Deploy/ }), 'the viewer has a Deploy link in the catalog');

  log('Vera sees her organisation only');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organisations' }).click();
  await page.waitForURL(/\/organisations$/);
  await page.locator('#organisations [data-org]').first().waitFor();
  const visible = await page.locator('#organisations [data-org]').evaluateAll((els) => els.map((e) => e.dataset.org));
  if (visible.length !== 1 || visible[0] !== riverside) fail(`Vera's organisations: ${JSON.stringify(visible)}, expected only ${riverside}`);
  await expectNone(page.locator('#create-organisation'), 'the viewer can create an organisation');
  await page.goto(`${base}/organisations/${encodeURIComponent(harbour)}`);
  await page.locator('#organisation-missing').waitFor({ timeout: 10_000 });
  await expectNone(page.getByText('Harbour Band'), "Harbour Band's name shown to Vera");

  log('a direct request creating a deployment with her cookie and CSRF token: 403');
  await page.goto(`${base}/organisations/${encodeURIComponent(riverside)}`);
  await page.locator('#deployments').waitFor();
  const answer = await page.evaluate(async (org) => {
    const csrf = sessionStorage.getItem('fedihost.csrf');
    const me = await fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.json());
    const res = await fetch(`/api/v1/organisations/${encodeURIComponent(org)}/deployments`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf ?? '' },
      body: JSON.stringify({ name: 'sneaky', domain: 'sneaky.riverside.example', apps: [{ app: 'mastodon' }] }),
    });
    return { csrf, meCsrf: me.csrfToken ?? null, status: res.status, body: await res.text() };
  }, riverside);
  if (!answer.csrf) fail('no CSRF token in sessionStorage');
  if (answer.meCsrf && answer.meCsrf !== answer.csrf) fail('the CSRF token kept by the panel is not the session\'s');
  if (answer.status !== 403) fail(`creating a deployment as a viewer answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  if (/csrf/i.test(answer.body)) fail(`the 403 was about the CSRF token, not the role: ${answer.body.slice(0, 300)}`);
  log(`  403: ${answer.body.slice(0, 160)}`);

  await saveScreenshot(page);
}

await runJourney({
  name: 'tenancy',
  // one TOTP time step (30 s) may have to pass before the second login
  budgetMs: 150_000,
  screenshot: 'tenancy.png',
  consoleAllowed: /status of (401|403|404|409|422|429)|Failed to load resource/,
  journey,
});
