#!/usr/bin/env node
// Every page of the panel through axe-core (WCAG 2.1 A and AA rules): no serious
// or critical violation. And the keyboard alone: the new-deployment form is
// filled by tabbing through it and submitted with Enter.
//
//   bash scripts/build-panel && node tests/e2e/accessibility.mjs
//
// Prints "1 passed, 0 failed" or "0 passed, 1 failed" last; each violation is
// listed with its rule, its impact, the page and the elements it was found on.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectText, fail, log, runJourney } from './harness.mjs';
import { call, logIn } from './people.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const AXE = createRequire(path.join(here, '..', '..', 'web', 'package.json')).resolve('axe-core/axe.min.js');
const OPERATOR = { email: 'operator@example.test', password: 'correct horse battery staple' };

/** Runs axe on the page as it is now; returns the serious and critical violations in words. */
async function violations(page, where) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return found.map((v) => `${where}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(', ')}`);
}

async function journey({ base, person }) {
  const problems = [];
  const anon = await person('visitor', { bypassCSP: true });  // axe is injected as a script
  for (const p of ['/login', '/forgot']) {
    await anon.page.goto(base + p, { waitUntil: 'domcontentloaded' });
    await anon.page.locator('main form, form').first().waitFor();
    problems.push(...(await violations(anon.page, p)));
  }
  // The check itself can fail: an image without a text alternative is a critical violation.
  await anon.page.evaluate(() => document.querySelector('main')?.append(Object.assign(document.createElement('img'), { src: '/x.png' })));
  const planted = await violations(anon.page, 'planted');
  if (!planted.some((v) => v.includes('image-alt'))) fail(`axe did not find a planted image without alt text: ${JSON.stringify(planted)}`);

  const { page } = await person('operator', { bypassCSP: true });
  await logIn(page, base, OPERATOR.email, OPERATOR.password);
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 });
  const org = await call(page, 'POST', '/organisations', { name: 'riverside', displayName: 'Riverside School' });
  if (org.status !== 201) fail(`creating the organisation: ${org.status}`);
  const dep = await call(page, 'POST', `/organisations/${org.body.id}/deployments`, {
    name: 'social', domain: 'social.example.test', apps: [{ app: 'mastodon' }],
  });
  if (dep.status !== 201) fail(`creating the deployment: ${dep.status}`);

  // Each page with something that shows it has rendered its content.
  const pages = [
    ['/dashboard', 'h1'],
    ['/catalog', '#catalog .app-card'],
    ['/catalog/peertube', '#app-summary'],
    ['/compare?apps=peertube,owncast', '#compare-table'],
    ['/organisations', '#create-organisation'],
    [`/organisations/${org.body.id}`, '#invite-form'],
    [`/organisations/${org.body.id}/new`, '#new-deployment-form'],
    [`/deployments/${dep.body.id}`, '#deployment-status .badge'],
    ['/targets', 'h1'],
    ['/users', 'h1'],
    ['/account', 'h1'],
    ['/usage', 'h1'],
    ['/statements', 'h1'],
    ['/price-plans', '#plan-name'],
    ['/billing/organisations', '#all-statements-month'],
    ['/audit', '#audit-filters'],
  ];
  for (const [p, ready] of pages) {
    await page.goto(base + p, { waitUntil: 'domcontentloaded' });
    await page.locator(ready).first().waitFor({ timeout: 10_000 });
    await page.waitForLoadState('networkidle').catch(() => {});
    const found = await violations(page, p);
    log(`${p}: ${found.length ? found.length + ' serious or critical violation(s)' : 'no serious or critical violation'}`);
    problems.push(...found);
  }

  log('the operator’s navigation (the longest) fits one line at 1280 px');
  const rows = await page.evaluate(() => {
    const links = [...document.querySelectorAll('nav.nav a')].filter((a) => a.offsetParent !== null);
    return new Set(links.map((a) => Math.round(a.getBoundingClientRect().top))).size;
  });
  if (rows !== 1) fail(`the main navigation wraps onto ${rows} lines at 1280 px`);

  log('the keyboard alone: the new-deployment form, tabbed through and submitted with Enter');
  await page.goto(`${base}/organisations/${org.body.id}/new`, { waitUntil: 'domcontentloaded' });
  const form = page.locator('#new-deployment-form');
  await form.waitFor();
  await page.locator('body').focus();
  const typed = { name: false, domain: false, app: false };
  for (let i = 0; i < 80 && !(typed.name && typed.domain && typed.app); i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? { tag: el.tagName, name: el.getAttribute('name'), id: el.id, type: el.getAttribute('type') } : null;
    });
    if (!f) continue;
    if (f.name === 'name' && !typed.name) {
      await page.keyboard.type('keyboard');
      typed.name = true;
    } else if (f.name === 'domain' && !typed.domain) {
      await page.keyboard.type('keys.example.test');
      typed.domain = true;
    } else if (f.id === 'app-hedgedoc' && !typed.app) {
      await page.keyboard.press('Space');
      typed.app = true;
    }
  }
  if (!(typed.name && typed.domain && typed.app)) fail(`tabbing did not reach every field: ${JSON.stringify(typed)}`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/deployments\/[^/]+$/, { timeout: 10_000 }).catch(async () => {
    const errs = await form.locator('[data-error-for]:not([hidden])').allInnerTexts();
    fail(`Enter did not create the deployment; errors: ${JSON.stringify(errs)}`);
  });
  await expectText(page.locator('#deployment-domain'), /^keys\.example\.test$/, 'the deployment made with the keyboard');

  if (problems.length) fail(`${problems.length} serious or critical accessibility violation(s):\n  ${problems.join('\n  ')}`);
}

await runJourney({
  name: 'accessibility',
  budgetMs: 150_000,
  screenshot: 'accessibility.png',
  init: OPERATOR,
  consoleAllowed: /status of 40[13]|Failed to load resource/,
  journey,
});
