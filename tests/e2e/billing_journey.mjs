#!/usr/bin/env node
// End-to-end journey of usage and statements (docs/billing.md) in a real browser.
//
//   bash scripts/build-panel && node tests/e2e/billing_journey.mjs
//
// Starts `fedihost serve` (harness.mjs) and, as the operator:
//  1. logs in; creates an organisation with one applied deployment (through the
//     API with the page's cookie and CSRF token: the panel's own forms for those
//     are the panel journey's);
//  2. defines a price plan in the Price plans page (money typed in euros, stored
//     in cents) and gives it to the organisation;
//  3. opens Usage: the SVG chart has one bar per day of the month and the machine
//     row of the totals is there;
//  4. opens Statements: the current month is open, its total in EUR, and the
//     printable page (a new tab) shows the same total;
//  5. with 55 more organisations (no plan), opens Billing → All organisations: a first
//     page of 50, "Show more" brings the rest, and the totals count all 56.
// Prints "1 passed, 0 failed" or "0 passed, 1 failed" last.

import { expectText, fail, log, runJourney, sleep } from './harness.mjs';
import { call } from './people.mjs';

const EMAIL = 'operator@example.test';
const PASSWORD = 'correct horse battery staple';

async function journey({ base, person, saveScreenshot }) {
  const { context, page } = await person('operator');

  log('log in');
  await page.goto(base + '/login', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });

  log('an organisation with an applied deployment');
  const org = await call(page, 'POST', '/organisations', { name: 'riverside', displayName: 'Riverside School' });
  if (org.status !== 201) fail(`creating the organisation: ${org.status} ${JSON.stringify(org.body)}`);
  const dep = await call(page, 'POST', `/organisations/${org.body.id}/deployments`, {
    name: 'social',
    domain: 'social.example.test',
    apps: [{ app: 'hedgedoc' }],
  });
  if (dep.status !== 201) fail(`creating the deployment: ${dep.status} ${JSON.stringify(dep.body)}`);
  const run = await call(page, 'POST', `/deployments/${dep.body.id}/apply`);
  if (run.status !== 202) fail(`applying: ${run.status} ${JSON.stringify(run.body)}`);
  for (let i = 0; ; i++) {
    const r = await call(page, 'GET', `/runs/${run.body.id}`);
    if (r.body?.status === 'succeeded') break;
    if (r.body?.status === 'failed' || i > 150) fail(`the run did not succeed: ${JSON.stringify(r.body)}`);
    await sleep(100);
  }

  log('define a price plan in the panel and give it to the organisation');
  // One "Billing" entry in the main navigation; usage, statements and price plans are its tabs.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await page.waitForURL(/\/usage/);
  await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Price plans' }).click();
  await page.waitForURL(/\/price-plans/);
  await page.locator('#plan-name').fill('Standard');
  await page.locator('#plan-base-fee').fill('10.00');
  await page.locator('#plan-vat').fill('19');
  await page.locator('#plan-price-vcpu').fill('5.00');
  await page.locator('#plan-price-ip_address').fill('3');
  await page.locator('#plan-create').click();
  await expectText(page.locator('#price-plans tr[data-plan]'), /Standard.*EUR.*10\.00.*19\.00 %.*vcpu 5\.00/s, 'the new plan in the list');
  const plans = await call(page, 'GET', '/price-plans');
  if (plans.body?.items?.[0]?.baseFee !== 1000 || plans.body.items[0].prices.vcpu !== 500)
    fail(`the plan was not stored in cents: ${JSON.stringify(plans.body)}`);
  await page.locator('#assign-organisation').selectOption(org.body.id);
  await page.locator('#assign-button').click();
  await expectText(page.locator('[role=status]', { hasText: 'now has the plan' }), /Riverside School now has the plan Standard/, 'assigned');

  log('usage: a chart of the month by day, and the totals');
  await page.goto(`${base}/usage?organisation=${org.body.id}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#usage-chart svg.bar-chart').waitFor();
  const bars = await page.locator('#usage-chart svg rect.bar').count();
  if (bars < 28 || bars > 31) fail(`the chart has ${bars} bars, not one per day of the month`);
  await expectText(page.locator('#usage-table tr[data-unit="machine"]'), /machine-hours/, 'machine-hours in the totals');

  log('statements: the open month, and its printable page');
  await page.goto(`${base}/statements?organisation=${org.body.id}`, { waitUntil: 'domcontentloaded' });
  await expectText(page.locator('#statement-state'), /open/, 'the current month is open');
  const total = (await page.locator('#statement-total').textContent()) ?? '';
  if (!/^\d+\.\d\d EUR$/.test(total.trim())) fail(`the total reads ${JSON.stringify(total)}`);
  await saveScreenshot(page);
  const [printable] = await Promise.all([context.waitForEvent('page'), page.locator('#statement-print').click()]);
  await printable.waitForLoadState('domcontentloaded');
  await expectText(printable.locator('h1'), /^Statement \d{4}-\d\d$/, 'the printable page');
  await expectText(printable.locator('tfoot tr:last-child'), new RegExp(total.trim().replace('.', '\\.')), 'the same total on the printable page');
  await printable.close();

  log('all organisations: a page at a time, the totals over every one');
  for (let i = 0; i < 55; i++) {
    const r = await call(page, 'POST', '/organisations', { name: `extra-${i}` });
    if (r.status !== 201) fail(`creating organisation ${i}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'All organisations' }).click();
  await page.waitForURL(/\/billing\/organisations/);
  await expectText(page.locator('#all-statements-count'), /Over 56 organisations, 55 without a price plan/, 'the totals count every organisation');
  await expectText(page.locator('#all-statements-totals tr[data-currency="EUR"] td:nth-child(2)'), /^1$/, 'one organisation in EUR: Riverside');
  const rows = page.locator('#all-statements tbody tr');
  await expectText(rows.nth(49), /extra-/, 'a first page of 50');
  if ((await rows.count()) !== 50) fail(`the first page has ${await rows.count()} rows, not 50`);
  await page.getByRole('button', { name: 'Show more' }).click();
  await expectText(rows.nth(55), /extra-/, 'the rest after "Show more"');
  const names = (await rows.locator('td:first-child').allInnerTexts()).map((t) => t.trim());
  const missing = ['Riverside School', ...Array.from({ length: 55 }, (_, i) => `extra-${i}`)].filter((n) => !names.includes(n));
  if (names.length !== 56 || missing.length) fail(`after "Show more": ${names.length} rows, missing ${missing.join(', ')}`);
  if (await page.getByRole('button', { name: 'Show more' }).isVisible()) fail('"Show more" is still offered after the last page');
}

await runJourney({
  name: 'billing',
  budgetMs: 60_000,
  screenshot: 'billing.png',
  init: { email: EMAIL, password: PASSWORD },
  consoleAllowed: /status of 401|Failed to load resource/,
  journey,
});
