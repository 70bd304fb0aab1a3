// Entry point: header, routes and the session guard.
import { logout, onSecondFactorNeeded, onUnauthorized } from './api';
import { h, link } from './dom';
import { currentPath, navigate, route, setGuards, setNotFound, start } from './router';
import * as session from './session';
import { forgetAll } from './store';
import { loginPage } from './pages/login';
import { signupPage } from './pages/signup';
import { invitePage } from './pages/invite';
import { forgotPage, resetPage } from './pages/reset';
import { accountPage } from './pages/account';
import { usersPage } from './pages/users';
import { catalogPage } from './pages/catalog';
import { appPage } from './pages/app';
import { comparePage } from './pages/compare';
import { organisationsPage } from './pages/organisations';
import { organisationPage } from './pages/organisation';
import { newDeploymentPage } from './pages/newDeployment';
import { deploymentPage } from './pages/deployment';
import { targetsPage } from './pages/targets';
import { dashboardPage } from './pages/dashboard';
import { usagePage } from './pages/usage';
import { statementsPage } from './pages/statements';
import { pricePlansPage } from './pages/pricePlans';
import { allStatementsPage } from './pages/allStatements';
import { auditPage } from './pages/audit';
import { BILLING_PATHS } from './components/billingTabs';

const app = document.getElementById('app')!;

const newLink = link('/new', 'New deployment');
const targetsLink = link('/targets', 'Targets');
const usersLink = link('/users', 'Users');
const billingLink = link('/usage', 'Billing');  // usage, statements, price plans: tabs on those pages
const auditLink = link('/audit', 'Audit log');
const nav = h(
  'nav',
  { class: 'nav', 'aria-label': 'Main' },
  link('/dashboard', 'Dashboard'),
  link('/catalog', 'Catalog'),
  link('/organisations', 'Organisations'),
  newLink,
  targetsLink,
  usersLink,
  billingLink,
  auditLink,
);

// The organisation switcher: only for people in several organisations.
const switcher = h('select', { id: 'organisation-switcher', 'aria-label': 'Organisation', title: 'Your organisations' });
switcher.addEventListener('change', () => {
  if (!switcher.value) return;
  session.setCurrentOrganisation(switcher.value);
  navigate(`/organisations/${encodeURIComponent(switcher.value)}`);
});
const switcherWrap = h('div', { class: 'switcher', hidden: true }, switcher);

const who = link('/account', '');
who.classList.add('who');
who.id = 'account-link';
const logoutBtn = h(
  'button',
  {
    type: 'button',
    class: 'button-quiet',
    id: 'logout',
    onclick: async () => {
      logoutBtn.disabled = true;
      try {
        await logout();
      } catch {
        /* the tab forgets the session anyway */
      } finally {
        logoutBtn.disabled = false;
      }
      session.forget();
      forgetAll();
      navigate('/login');
    },
  },
  'Log out',
);
const account = h('div', { class: 'account' }, switcherWrap, who, logoutBtn);
const header = h(
  'header',
  { class: 'top' },
  h('div', { class: 'top-inner' }, h('a', { href: '/', 'data-link': true, class: 'brand' }, 'fedihost'), nav, account),
);
const main = h('main', { id: 'main', class: 'page' });
app.replaceChildren(header, main);

/** Pages anyone may open: signing in, signing up, invitations, password reset. */
const PUBLIC_ONLY = ['/login', '/signup', '/forgot'];

function loginRedirect(): string {
  const here = currentPath();
  return here.startsWith('/login') || here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}

function drawHeader(path = location.pathname): void {
  const signedIn = session.signedIn() && !PUBLIC_ONLY.some((p) => path.startsWith(p));
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  who.textContent = session.user()?.email ?? '';
  who.title = 'Your account: password, second factor, sessions, API tokens';
  newLink.hidden = !session.can('deployment.write');
  targetsLink.hidden = !session.can('operator');
  usersLink.hidden = !session.can('operator');
  auditLink.hidden = !session.can('organisation.manage');
  const orgs = session.memberships();
  switcherWrap.hidden = !signedIn || orgs.length < 2;
  if (orgs.length >= 2) {
    const chosen = session.currentOrganisation();
    switcher.replaceChildren(...orgs.map((o) => h('option', { value: o.id, selected: o.id === chosen }, o.displayName || o.name)));
  }
  // comparing apps is part of the catalog
  const section = path === '/compare' ? '/catalog' : BILLING_PATHS.includes(path) ? '/usage' : path;
  for (const a of nav.querySelectorAll('a')) {
    const active = section === a.pathname || (a.pathname !== '/' && section.startsWith(a.pathname + '/'));
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (path === '/account') who.setAttribute('aria-current', 'page');
  else who.removeAttribute('aria-current');
}

session.onChange(() => drawHeader());

onUnauthorized(() => {
  session.forget();
  forgetAll();
  if (!PUBLIC_ONLY.some((p) => location.pathname.startsWith(p))) navigate(loginRedirect(), { replace: true });
});

// An organisation that requires a second factor (or a server requiring one of
// operators) refuses her until she sets one up: the Account page says how.
onSecondFactorNeeded(() => {
  if (location.pathname !== '/account') navigate('/account?totp=required');
});

setGuards(
  (path, isPublic) => {
    if (path === '/') return session.homePath();
    if (!isPublic && !session.signedIn()) return loginRedirect();
    return null;
  },
  (path) => drawHeader(path),
);

route('/login', loginPage, { public: true });
route('/signup', signupPage, { public: true });
route('/invite', invitePage, { public: true });
route('/forgot', forgotPage, { public: true });
route('/reset', resetPage, { public: true });
route('/account', accountPage);
route('/users', usersPage);
route('/catalog', catalogPage);
route('/catalog/:id', appPage);
route('/compare', comparePage);
route('/organisations', organisationsPage);
route('/organisations/:id', organisationPage);
route('/organisations/:id/new', newDeploymentPage);
route('/new', newDeploymentPage);
route('/deployments/:id', deploymentPage);
route('/targets', targetsPage);
route('/dashboard', dashboardPage);
route('/usage', usagePage);
route('/statements', statementsPage);
route('/price-plans', pricePlansPage);
route('/billing/organisations', allStatementsPage);
route('/audit', auditPage);
setNotFound(({ root }) => {
  root.append(h('h1', null, 'Page not found'), h('p', null, 'This page does not exist. ', link('/', 'Go to the start page'), '.'));
});

// Who is signed in (the session cookie) before the first page is drawn.
session
  .refresh()
  .catch(() => null)
  .finally(() => start(main));
