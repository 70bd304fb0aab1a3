#!/usr/bin/env node
// End-to-end journey of the Backups card's schedule (docs/backup-and-migration.md) in a real browser.
//
//   bash scripts/build-panel && node tests/e2e/backups_journey.mjs
//
// Starts `fedihost serve` (harness.mjs) and, as the operator:
//  1. logs in; creates an organisation with one deployment (through the API with the
//     page's cookie and CSRF token);
//  2. opens the deployment page: the Backups card says it is not scheduled;
//  3. opens the schedule form, asks for every 0 hours: the field's error is shown and
//     nothing is saved; every 6 hours keeping 7 daily, 4 weekly and 6 monthly: the card
//     shows the cadence, the retention and the next backup in words;
//  4. applies the deployment (through the API); backs up now: the list shows an on-demand backup;
//  5. restores that backup here (in place): the confirmation says what is replaced and that
//     a safety backup is taken first; the result names the safety backup, listed as such;
//  6. turns the schedule off: the card says so.
// Prints "1 passed, 0 failed" or "0 passed, 1 failed" last.

import { expectText, fail, log, runJourney } from './harness.mjs';
import { call } from './people.mjs';

const EMAIL = 'operator@example.test';
const PASSWORD = 'correct horse battery staple';

async function journey({ base, person, saveScreenshot }) {
  const { page } = await person('operator');

  log('log in');
  await page.goto(base + '/login', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });

  log('an organisation with a deployment');
  const org = await call(page, 'POST', '/organisations', { name: 'riverside', displayName: 'Riverside School' });
  if (org.status !== 201) fail(`creating the organisation: ${org.status} ${JSON.stringify(org.body)}`);
  const dep = await call(page, 'POST', `/organisations/${org.body.id}/deployments`, {
    name: 'notes',
    domain: 'notes.example.test',
    apps: [{ app: 'hedgedoc' }],
  });
  if (dep.status !== 201) fail(`creating the deployment: ${dep.status} ${JSON.stringify(dep.body)}`);

  log('the Backups card: not scheduled');
  await page.goto(`${base}/deployments/${dep.body.id}`, { waitUntil: 'domcontentloaded' });
  await expectText(page.locator('#schedule-summary'), /Not scheduled/, 'the schedule before one is set');

  log('a bad cadence is refused naming the field; nothing is saved');
  await page.locator('#schedule-edit').click();
  await page.locator('#schedule-kind').selectOption('every');
  await page.locator('#schedule-hours').fill('0');
  await page.locator('#schedule-save').click();
  await expectText(page.locator('#schedule-errors li[data-field="everyHours"]'), /from 1 to 168/, 'the everyHours error');
  const unsaved = await call(page, 'GET', `/deployments/${dep.body.id}/backup-schedule`);
  if (unsaved.body?.cadence !== null) fail(`a refused schedule was saved: ${JSON.stringify(unsaved.body)}`);

  log('every 6 hours, keeping 7 daily, 4 weekly, 6 monthly');
  await page.locator('#schedule-hours').fill('6');
  await page.locator('#schedule-keep-hourly').fill('0');
  await page.locator('#schedule-keep-daily').fill('7');
  await page.locator('#schedule-keep-weekly').fill('4');
  await page.locator('#schedule-keep-monthly').fill('6');
  await page.locator('#schedule-save').click();
  await expectText(
    page.locator('#schedule-summary'),
    /Scheduled every 6 hours; keeps the newest 7 daily, 4 weekly, 6 monthly scheduled backups\./,
    'the schedule in words',
  );
  await expectText(page.locator('#schedule-next'), /^Next backup (in \d+ hours?( \d+ minutes?)?|in \d+ minutes?|within a minute) \(/, 'the next due time in words');
  const saved = await call(page, 'GET', `/deployments/${dep.body.id}/backup-schedule`);
  if (saved.body?.everyHours !== 6 || saved.body?.keep?.daily !== 7 || !saved.body?.enabled)
    fail(`the schedule as stored: ${JSON.stringify(saved.body)}`);

  log('the deployment applied (a restore in place needs its resources and secrets)');
  const applied = await call(page, 'POST', `/deployments/${dep.body.id}/apply`);
  if (applied.status !== 202) fail(`applying: ${applied.status} ${JSON.stringify(applied.body)}`);
  for (let i = 0; ; ++i) {
    const d = await call(page, 'GET', `/deployments/${dep.body.id}`);
    if (d.body?.status === 'ready') break;
    if (i > 300 || d.body?.status === 'failed') fail(`the apply did not end ready: ${JSON.stringify(d.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  log('back up now: an on-demand backup in the list');
  await page.locator('#back-up-now').click();
  await expectText(page.locator('#backup-status'), /Backup made/, 'the backup made', 30_000);
  await expectText(page.locator('#backups tbody tr').first(), /on demand/, 'the kind of the backup');

  log('restore it here: the confirmation, then the result naming the safety backup');
  await page.locator('#backups tbody tr').first().locator('.restore-here-button').click();
  await expectText(page.locator('#restore-here-what'), /databases and stored files are replaced by the backup’s/, 'what is replaced');
  await expectText(page.locator('#restore-here-safety'), /safety backup of notes as it is now is taken and kept/, 'the safety backup first');
  await page.locator('#restore-here-go').click();
  await expectText(page.locator('#restore-here-done'), /Restored: notes holds the data of .* again\. What it replaced is kept \(safety backup bak_/, 'the restore in place', 30_000);
  await expectText(page.locator('#backups tbody tr').first(), /safety \(before a restore\)/, 'the safety backup listed');
  await saveScreenshot(page);

  log('turn the schedule off');
  await page.locator('#schedule-edit').click();
  await page.locator('#schedule-off').click();
  await expectText(page.locator('#schedule-summary'), /Schedule turned off \(was every 6 hours\)/, 'the schedule turned off');
}

await runJourney({
  name: 'backups',
  budgetMs: 60_000,
  screenshot: 'backups.png',
  init: { email: EMAIL, password: PASSWORD },
  consoleAllowed: /status of 401|status of 422|Failed to load resource/,
  journey,
});
