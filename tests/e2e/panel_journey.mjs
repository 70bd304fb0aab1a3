#!/usr/bin/env node
// End-to-end journey through the fedihost panel in a real browser.
//
//   cd web && npm install && npm run build && cd .. && node tests/e2e/panel_journey.mjs
//
// Starts `fedihost init` + `fedihost serve` on a free loopback port with a fresh
// data directory, drives Debian's chromium with playwright-core through: login
// (wrong then right password; signed in by an HttpOnly cookie, nothing kept in
// localStorage), catalog, creating an organisation, a deployment
// (with an invalid domain first), reviewing the plan, applying it and waiting
// for "ready" with app URLs; on the way it opens PeerTube's app page (its
// strengths, weaknesses, opportunities and threats) and compares PeerTube with
// Owncast side by side; once ready it edits a Mastodon setting (an out-of-range
// value first, explained next to the field) and checks the plan shows an
// update; the status says "changes pending", the plan names the setting, a plan
// made stale in another tab is refused with its reason, the dashboard lists what
// needs attention, the Migrations card says plainly that there is no other
// target to move to, and on a 390 px screen nothing is cut (saved as
// panel-narrow.png); then saves a full-page screenshot, deletes the deployment, logs out
// (the session ends), and checks that a refused cookie leads to the login page.
// Prints "1 passed, 0 failed" or "0 passed, 1 failed" last.
//
// Environment (FEDIHOST_BIN, FEDIHOST_WEB, FEDIHOST_SCREENSHOT, ...): see harness.mjs.

import { expectCookieSession, expectText, fail, log, runJourney, snap } from './harness.mjs';

const EMAIL = 'operator@example.test';
const PASSWORD = 'correct horse battery staple';

async function journey({ base, person, remainingMs, saveScreenshot }) {
  const { context, page } = await person('operator');

  // ---- 1. login -----------------------------------------------------------
  log('open the panel: expect the login page');
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForURL(/\/login/, { timeout: 10_000 });
  await expectText(page.locator('header .brand'), /fedihost/, 'header shows the product name');

  log('log in with a wrong password: expect the error next to the form');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectText(page.locator('form.login-form [data-error-for]:not([hidden])'), /\S/, 'login error shown');
  if (!/\/login/.test(page.url())) fail(`a wrong password left the login page: ${page.url()}`);
  await snap(page, 'login-error');

  log('log in with the right password');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });
  await expectCookieSession(context, page, 'operator');
  log('after login: the dashboard, across organisations for an operator');
  await page.waitForURL(/\/dashboard$/, { timeout: 10_000 });
  await expectText(page.locator('h1'), /All organisations/, 'the operator\'s dashboard heading');

  // ---- 2. catalog -----------------------------------------------------------
  log('catalog: expect Mastodon, Pixelfed and PeerTube cards');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
  await page.waitForURL(/\/catalog$/);
  await page.locator('#catalog .app-card').first().waitFor({ timeout: 10_000 });
  for (const name of ['Mastodon', 'Pixelfed', 'PeerTube']) {
    const card = page.locator('#catalog .app-card', { has: page.locator('.app-name', { hasText: new RegExp(`^${name}$`) }) });
    if ((await card.count()) !== 1) fail(`catalog has no card for ${name}`);
    await expectText(card.locator('.summary'), /\S/, `${name} card summary`);
    await expectText(card.locator('.description'), /\S{3}/, `${name} card description`);
    await expectText(card.locator('.licence'), /\S/, `${name} card licence`);
    await expectText(card.locator('.badge-ap'), /ActivityPub/, `${name} card ActivityPub badge`);
  }
  await snap(page, 'catalog');

  log("PeerTube's app page: needs, strengths, weaknesses, opportunities, threats, backups");
  await page.locator('#catalog .app-card[data-app="peertube"] .app-name a').click();
  await page.waitForURL(/\/catalog\/peertube$/);
  await expectText(page.locator('h1'), /^PeerTube$/, 'app page heading');
  await expectText(page.locator('#app-summary'), /\S/, 'app page summary');
  await expectText(page.locator('#app-facts .licence'), /\S/, 'app page licence');
  await expectText(page.locator('#app-needs'), /PostgreSQL database/, 'app page needs in plain words');
  for (const part of ['strengths', 'weaknesses', 'opportunities', 'threats']) {
    const items = page.locator(`#swot [data-swot="${part}"] li`);
    await items
      .first()
      .waitFor({ timeout: 5_000 })
      .catch(() => fail(`PeerTube's app page has no ${part} (the catalog API returned no "swot" for PeerTube?)`));
    await expectText(items, /\S{3}/, `PeerTube ${part}`);
  }
  await expectText(page.locator('#app-backup .backup-pause'), /\S/, 'PeerTube backup: does it pause');
  const deployHref = await page.locator('.deploy-link').first().getAttribute('href');
  if (deployHref !== '/new?app=peertube') fail(`"Deploy this app" points to ${deployHref}`);
  await snap(page, 'app-peertube');

  log('compare PeerTube and Owncast side by side');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
  await page.waitForURL(/\/catalog$/);
  await page.locator('#catalog .app-card').first().waitFor({ timeout: 10_000 });
  if ((await page.locator('#compare-owncast').count()) !== 1) fail('the catalog has no Owncast card to compare with');
  if (!(await page.locator('#compare').isDisabled())) fail('the Compare button is enabled with nothing chosen');
  await page.locator('#compare-peertube').check();
  if (!(await page.locator('#compare').isDisabled())) fail('the Compare button is enabled with one app chosen');
  await page.locator('#compare-owncast').check();
  const ids = await page.locator('#catalog .app-card').evaluateAll((cards) => cards.map((c) => c.dataset.app));
  const others = ids.filter((id) => id !== 'peertube' && id !== 'owncast');
  if (others.length >= 2) {
    // a third is fine, a fourth is refused with a short message next to it
    await page.locator(`#compare-${others[0]}`).check();
    const fourth = page.locator(`#compare-${others[1]}`);
    await fourth.click();
    if (await fourth.isChecked()) fail('a fourth app could be chosen for comparing');
    await expectText(page.locator(`.app-card[data-app="${others[1]}"] .compare-refused`), /at most 3/, 'a fourth choice is refused');
    await page.locator(`#compare-${others[0]}`).uncheck();
  }
  await page.locator('#compare').click();
  await page.waitForURL(/\/compare\?apps=peertube,owncast$/);
  for (const app of ['peertube', 'owncast']) {
    await page.locator(`#compare-table thead th[data-app="${app}"]`).waitFor({ timeout: 5_000 });
    await expectText(page.locator(`#compare-table td[data-app="${app}"][data-aspect="summary"]`), /\S/, `${app} summary column`);
    await expectText(page.locator(`#compare-table td[data-app="${app}"][data-aspect="licence"]`), /\S/, `${app} licence column`);
    for (const part of ['strengths', 'weaknesses', 'opportunities', 'threats']) {
      const n = await page.locator(`#compare-table td[data-app="${app}"][data-aspect="${part}"] li`).count();
      if (n === 0) fail(`the comparison shows no ${part} for ${app}`);
    }
  }
  const columns = await page.locator('#compare-table thead th[data-app]').count();
  if (columns !== 2) fail(`the comparison has ${columns} columns, expected 2`);
  await snap(page, 'compare');

  // ---- 3. organisation ------------------------------------------------------
  log('organisations: create "Riverside School"');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organisations' }).click();
  await page.waitForURL(/\/organisations$/);
  const orgForm = page.locator('#create-organisation');
  await orgForm.waitFor();
  await orgForm.locator('input[name="displayName"]').fill('Riverside School');
  const shortName = await orgForm.locator('input[name="name"]').inputValue();
  if (shortName !== 'riverside-school') fail(`short name not derived from the name: ${JSON.stringify(shortName)}`);
  await orgForm.getByRole('button', { name: 'Create organisation' }).click();
  await page.waitForURL(/\/organisations\/[^/]+$/, { timeout: 10_000 });
  await expectText(page.locator('h1'), /Riverside School/, 'organisation page heading');
  await snap(page, 'organisation');

  // ---- 4. new deployment ----------------------------------------------------
  log('new deployment: an invalid name and domain are both explained, each next to its field');
  await page.locator('#new-deployment').click();
  await page.waitForURL(/\/new/);
  const form = page.locator('#new-deployment-form');
  await form.waitFor({ timeout: 10_000 });
  await form.locator('input[name="name"]').fill('Social Club');
  await form.locator('input[name="domain"]').fill('Social!');
  await form.locator('#app-mastodon').check();
  await form.locator('#app-pixelfed').check();
  // the Mastodon settings form is generated from its settingsSchema
  const mastodonSettings = form.locator('#settings-mastodon');
  await mastodonSettings.waitFor({ state: 'visible' });
  const settingFields = await mastodonSettings.locator('.field').count();
  log(`  Mastodon has ${settingFields} setting field(s)`);
  await form.getByRole('button', { name: 'Create deployment' }).click();
  const domainError = await expectText(form.locator('[data-error-for="domain"]'), /\S/, 'error next to the domain field');
  log(`  domain error: ${domainError}`);
  const nameError = await expectText(form.locator('[data-error-for="name"]'), /\S/, 'error next to the name field, at the same time');
  log(`  name error: ${nameError}`);
  await snap(page, 'deployment-domain-error');
  if (/\/deployments\//.test(page.url())) fail('an invalid domain created a deployment');

  log('new deployment: the addresses are previewed as she types; a domain starting with the app\'s own name is caught');
  await form.locator('input[name="name"]').fill('social');
  await form.locator('input[name="domain"]').fill('mastodon.social.example.test');
  await expectText(form.locator('#url-preview-list li[data-app="mastodon"]'), /https:\/\/mastodon\.mastodon\.social\.example\.test\//, 'Mastodon\'s address previewed');
  await expectText(form.locator('#domain-doubled'), /already starts with “mastodon\.”/, 'the doubled name is warned about');
  await snap(page, 'deployment-url-preview');
  await form.locator('#domain-doubled button[data-fix="social.example.test"]').click();
  await expectText(form.locator('#url-preview-list li[data-app="mastodon"]'), /https:\/\/mastodon\.social\.example\.test\//, 'the corrected address');
  if ((await form.locator('#domain-doubled').count()) !== 0) fail('the warning stays after the domain was corrected');

  log('new deployment: social.example.test with Mastodon + Pixelfed');
  if ((await form.locator('input[name="domain"]').inputValue()) !== 'social.example.test') fail('the fix did not set the domain');
  await form.getByRole('button', { name: 'Create deployment' }).click();
  try {
    await page.waitForURL(/\/deployments\/[^/]+$/, { timeout: 10_000 });
  } catch {
    const errs = await form.locator('[data-error-for]:not([hidden])').allInnerTexts();
    fail(`creating the deployment did not open its page; errors shown: ${JSON.stringify(errs)}`);
  }

  // ---- 5. deployment page: plan, apply, progress ---------------------------
  log('deployment page: name, domain, status, target path');
  await expectText(page.locator('h1'), /^social$/, 'deployment name');
  await expectText(page.locator('#deployment-domain'), /^social\.example\.test$/, 'deployment domain');
  const status0 = await expectText(page.locator('#deployment-status .badge'), /\S/, 'status badge');
  log(`  status: ${status0}`);
  if (status0 !== 'changes pending') fail(`a deployment never applied shows "${status0}", expected "changes pending"`);
  if ((await page.locator('#deployment-apps a.app-url').count()) !== 0) fail('an app URL is shown as live before any apply');
  await expectText(page.locator('#deployment-apps [data-pending]').first(), /pending/, 'app addresses marked pending before the apply');
  await expectText(page.locator('#deployment-target'), /^local$/, 'the target it runs at (operators)');

  log('review the plan: expect create actions');
  await page.locator('#review-plan').click();
  await expectText(page.locator('#plan-summary'), /\d+ to create/, 'plan summary');
  const creates = page.locator('#plan .plan-item[data-action="create"]');
  const nCreates = await creates.count();
  if (nCreates === 0) fail('the plan lists no create action');
  await expectText(creates.first().locator('.what'), /^Create \S/, 'first create action');
  // Her organisation has no price plan: the review says so instead of a price.
  await expectText(page.locator('#plan-estimate[data-estimate="none"]'), /No price plan is assigned/, 'no price plan, said so');
  await snap(page, 'plan');
  const savedPlan = await page.locator('[data-plan]').getAttribute('data-plan');
  if (!/^plan_/.test(savedPlan ?? '')) fail(`the reviewed plan was not saved (data-plan=${savedPlan})`);
  log(`  ${nCreates} create action(s), e.g. "${(await creates.first().innerText()).replace(/\s+/g, ' ').trim()}"`);

  log('apply: follow live progress until ready');
  await page.locator('#apply').click();
  await page.locator('#run-progress').waitFor({ timeout: 10_000 });
  await snap(page, 'progress');
  const remaining = Math.max(5_000, remainingMs() - 8_000);
  try {
    await page.locator('#run-progress[data-status="succeeded"], #run-progress[data-status="failed"]').waitFor({ timeout: remaining });
  } catch {
    const text = await page.locator('#run-progress').innerText();
    fail(`the run did not finish in time; progress shows:\n${text}`);
  }
  const runStatus = await page.locator('#run-progress').getAttribute('data-status');
  const bar = page.locator('#run-progress .bar');
  const done = await bar.getAttribute('data-done');
  const total = await bar.getAttribute('data-total');
  const nSteps = await page.locator('#run-progress .step').count();
  if (runStatus !== 'succeeded') fail(`the run ${runStatus}:\n${await page.locator('#run-progress').innerText()}`);
  log(`  run succeeded: ${done}/${total} steps, ${nSteps} shown`);
  if (nSteps === 0) fail('no steps shown during the run');
  if (!total || done !== total) fail(`progress bar not full at the end: ${done}/${total}`);

  await expectText(page.locator('#deployment-status .badge'), /^ready$/, 'deployment status after apply', 10_000);
  const urls = await page.locator('#deployment-apps a.app-url').allInnerTexts();
  log(`  app URLs: ${urls.join(', ')}`);
  if (urls.length < 2) fail(`expected a URL for Mastodon and Pixelfed, found ${JSON.stringify(urls)}`);
  if (!urls.some((u) => /mastodon/i.test(u) || /^https:\/\//.test(u) || /social\.example\.test/.test(u))) {
    fail(`no app URL looks like an address: ${JSON.stringify(urls)}`);
  }
  await expectText(page.locator('#run-history tr[data-run]'), /Apply/, 'run history lists the apply');

  log('drift: check now reads every resource back and finds nothing changed');
  await page.locator('#check-drift').click();
  await expectText(page.locator('#drift-summary'), /Everything matches what was applied/, 'drift summary', 10_000);
  if ((await page.locator('#upgrade-unknown').count()) !== 0) {
    fail(`checking for updates failed: ${await page.locator('#upgrade-unknown').innerText()}`);
  }

  log('migrations: none yet, and with "local" the only target, moving says plainly there is nowhere to go');
  await expectText(page.locator('#migrations'), /has not been moved to another target/, 'no migration listed');
  await page.locator('#move').click();
  await expectText(page.locator('#move-none'), /^There is no other target to move .+ to: local is the only one configured\./, 'no other target, said plainly');
  await page.locator('#move-cancel').click();
  await page.locator('#move-form').waitFor({ state: 'detached' });

  log('edit settings: an out-of-range "Maximum post length" is explained next to the field');
  await page.locator('#edit-open').click();
  const editForm = page.locator('#edit-form');
  await editForm.waitFor({ timeout: 5_000 });
  if (!(await editForm.locator('#edit-app-mastodon').isChecked())) fail('the edit form does not show Mastodon as chosen');
  const domainNow = await editForm.locator('input[name="domain"]').inputValue();
  if (domainNow !== 'social.example.test') fail(`the edit form shows the domain ${JSON.stringify(domainNow)}`);
  const maxChars = editForm.getByLabel('Maximum post length');
  if ((await maxChars.inputValue()) === '') fail('"Maximum post length" is not filled with its current value');
  await maxChars.fill('20000');
  await editForm.locator('#edit-save').click();
  const charsError = await expectText(
    editForm.locator('[data-error-for="app:mastodon.settings.maxTootChars"]'),
    /\S/,
    'error next to "Maximum post length"',
  );
  log(`  error: ${charsError}`);
  if ((await maxChars.getAttribute('aria-invalid')) !== 'true') fail('"Maximum post length" is not marked invalid');
  await snap(page, 'edit-error');

  log('edit settings: "Maximum post length" 1000, save: changes pending, and the plan names the setting');
  await maxChars.fill('1000');
  await editForm.locator('#edit-save').click();
  await expectText(page.locator('#edit-saved'), /Saved/, 'saved notice');
  await expectText(page.locator('#plan-summary'), /\d+ to update/, 'plan summary after the edit');
  const updates = await page.locator('#plan .plan-item[data-action="update"]').count();
  if (updates === 0) fail('the plan after the edit lists no update');
  log(`  plan: ${(await page.locator('#plan-summary').innerText()).trim()}`);
  await expectText(page.locator('#plan-settings'), /Mastodon: maximum post length 500 → 1000/, 'the plan names the changed setting');
  await expectText(page.locator('#deployment-status .badge'), /^changes pending$/, 'status after the edit');
  await expectText(page.locator('#apply'), /^Apply changes$/, 'the apply button after the edit');
  await expectText(page.locator('#pending-changes'), /maximum post length 500 → 1000/, 'the pending change listed');
  if ((await page.locator('#deployment-apps a.app-url').count()) < 2) fail('the applied addresses are no longer shown as live after an edit');
  await snap(page, 'edit-plan');

  log('a plan gone stale (edited in another tab) is refused with the server\'s reason, not silently re-planned');
  const planId = await page.locator('[data-plan]').getAttribute('data-plan');
  const other = await context.newPage();
  await other.goto(page.url(), { waitUntil: 'domcontentloaded' });
  await other.locator('#edit-open').click();
  await other.locator('#edit-form').getByLabel('Maximum post length').fill('1200');
  await other.locator('#edit-save').click();
  await expectText(other.locator('#edit-saved'), /Saved/, 'saved in the other tab');
  await other.close();
  await page.locator('#apply').click();
  await expectText(page.locator('#action-error'), /out of date.*edited/s, 'the stale plan explained with the reason');
  if ((await page.locator('[data-plan]').getAttribute('data-plan')) !== planId) fail('the stale plan was replaced without asking');
  if ((await page.locator('#run-progress[data-status="running"], #run-progress[data-status="queued"]').count()) !== 0) fail('a stale plan started a run');
  await snap(page, 'stale-plan');
  await page.locator('#plan-again').click();
  await expectText(page.locator('#plan-settings'), /maximum post length 500 → 1200/, 'the new plan names the newer value');

  log('dashboard: the deployment with its status, apps and what needs attention');
  const deploymentUrl = page.url();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForURL(/\/dashboard$/);
  await expectText(page.locator('.dash-deployment .badge'), /^changes pending$/, 'the dashboard shows the status');
  await expectText(page.locator('#attention-list'), /social.*Changed since the last apply/s, 'the pending change needs attention');
  await expectText(page.locator('.dash-deployment a.app-url').first(), /social\.example\.test/, 'a live app URL on the dashboard');
  await snap(page, 'dashboard');

  log('a phone (390 px wide): the navigation and the app URLs fit, wrapped rather than cut');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(deploymentUrl, { waitUntil: 'domcontentloaded' });
  await page.locator('#deployment-apps a.app-url').first().waitFor();
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width) out.push(`the page is ${document.documentElement.scrollWidth}px wide`);
    for (const el of document.querySelectorAll('nav.nav a, #deployment-apps a.app-url, #deployment-apps .url, header .who, #logout')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.left < 0 || r.right > width + 0.5)) out.push(`${el.textContent} spans ${Math.round(r.left)}–${Math.round(r.right)}px`);
    }
    return out;
  });
  await saveScreenshot(page, 'narrow');
  if (overflow.length) fail(`on a 390px screen these do not fit: ${overflow.join('; ')}`);
  await page.setViewportSize({ width: 1280, height: 900 });

  await saveScreenshot(page);

  log('delete the deployment (with a confirm step) and follow its progress');
  await page.locator('#delete').click();
  await expectText(page.locator('#delete-confirm'), /cannot be undone/i, 'delete confirmation');
  // The apply run's progress is still on the page: wait for the delete run's own.
  const applyRun = (await page.locator('#run-progress').count()) ? await page.locator('#run-progress').getAttribute('data-run') : 'none';
  await page.locator('#delete-yes').click();
  const deleteProgress = `#run-progress:not([data-run="${applyRun}"])`;
  await page.locator(`${deleteProgress}[data-status]`).waitFor({ timeout: 10_000 });
  try {
    await page
      .locator(`${deleteProgress}[data-status="succeeded"], ${deleteProgress}[data-status="failed"]`)
      .waitFor({ timeout: Math.max(5_000, remainingMs() - 5_000) });
  } catch {
    fail(`the delete run did not finish in time; progress shows:\n${await page.locator('#run-progress').innerText()}`);
  }
  const delStatus = await page.locator('#run-progress').getAttribute('data-status');
  if (delStatus !== 'succeeded') fail(`the delete run ${delStatus}:\n${await page.locator('#run-progress').innerText()}`);
  await expectText(page.locator('#deployment-status .badge'), /^deleted$/, 'deployment status after delete', 10_000);
  await expectText(page.locator('#run-history tr[data-run]'), /Delete/, 'run history lists the delete');
  await expectText(page.locator('#drift-summary'), /^Deleted: there is nothing left to check\.$/, 'a deleted deployment claims nothing about drift');
  if ((await page.locator('#deployment-apps a.app-url').count()) !== 0) fail('a deleted deployment still shows live URLs');

  log('targets: the local target, an IP pool (a bad prefix explained next to its field), and no orphans');
  await page.locator('nav a[href="/targets"]').click();
  await expectText(page.locator('#target-local tr[data-kind="dns-record-set"] code'), /^file$/, 'the local target\'s DNS provider');
  const poolForm = page.locator('form.pool-form[data-target="local"]');
  await poolForm.locator('input[name="name"]').fill('public-v4');
  await poolForm.locator('input[name="prefix"]').fill('203.0.113.7/24');
  await poolForm.locator('button[type="submit"]').click();
  const prefixError = await expectText(poolForm.locator('[data-error-for="prefix"]'), /\S/, 'error next to the prefix');
  log(`  error: ${prefixError}`);
  await poolForm.locator('input[name="prefix"]').fill('203.0.113.0/24');
  await poolForm.locator('button[type="submit"]').click();
  await expectText(page.locator('#target-local [data-pool]'), /public-v4 203\.0\.113\.0\/24/, 'the new pool listed');
  await page.locator('#scan-orphans').click();
  await expectText(page.locator('#orphans-none'), /Nothing orphaned/, 'orphan scan');

  log('log out: back to the login page, and the session is over');
  await page.locator('#logout').click();
  await page.waitForURL(/\/login/, { timeout: 10_000 });
  const after = await page.evaluate(() => sessionStorage.getItem('fedihost.csrf'));
  if (after) fail('the CSRF token is still kept after logging out');
  await page.goto(base + '/organisations', { waitUntil: 'domcontentloaded' });
  await page.waitForURL(/\/login\?next=%2Forganisations/, { timeout: 10_000 });

  log('a session cookie the server refuses (401) sends you back to the login page');
  await context.addCookies([{ name: 'fedihost_session', value: 'not-a-valid-token', url: base }]);
  await page.goto(base + '/catalog', { waitUntil: 'domcontentloaded' });
  await page.waitForURL(/\/login\?next=%2Fcatalog/, { timeout: 10_000 });
}

await runJourney({
  name: 'panel',
  budgetMs: 80_000,
  screenshot: 'panel.png',
  init: { email: EMAIL, password: PASSWORD },
  consoleAllowed: /status of 401|status of 422|Failed to load resource/,
  journey,
});
