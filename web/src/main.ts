// Entry point: header, routes and the session guard.
import { clearSession, getToken, getUser, onUnauthorized } from './api';
import { h, link } from './dom';
import { currentPath, navigate, route, setGuards, setNotFound, start } from './router';
import { forgetAll } from './store';
import { loginPage } from './pages/login';
import { catalogPage } from './pages/catalog';
import { appPage } from './pages/app';
import { comparePage } from './pages/compare';
import { organisationsPage } from './pages/organisations';
import { organisationPage } from './pages/organisation';
import { newDeploymentPage } from './pages/newDeployment';
import { deploymentPage } from './pages/deployment';
import { targetsPage } from './pages/targets';

const app = document.getElementById('app')!;

const nav = h(
  'nav',
  { class: 'nav', 'aria-label': 'Main' },
  link('/catalog', 'Catalog'),
  link('/organisations', 'Organisations'),
  link('/new', 'New deployment'),
  link('/targets', 'Targets'),
);
const who = h('span', { class: 'who' });
const logout = h(
  'button',
  {
    type: 'button',
    class: 'button-quiet',
    id: 'logout',
    onclick: () => {
      clearSession();
      forgetAll();
      navigate('/login');
    },
  },
  'Log out',
);
const account = h('div', { class: 'account' }, who, logout);
const header = h(
  'header',
  { class: 'top' },
  h('div', { class: 'top-inner' }, h('a', { href: '/', 'data-link': true, class: 'brand' }, 'fedihost'), nav, account),
);
const main = h('main', { id: 'main', class: 'page' });
app.replaceChildren(header, main);

function loginRedirect(): string {
  const here = currentPath();
  return here.startsWith('/login') || here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}

onUnauthorized(() => {
  forgetAll();
  if (!location.pathname.startsWith('/login')) navigate(loginRedirect(), { replace: true });
});

setGuards(
  (path, isPublic) => {
    if (path === '/') return getToken() ? '/organisations' : '/login';
    if (!isPublic && !getToken()) return loginRedirect();
    return null;
  },
  (path) => {
    const signedIn = !!getToken() && !path.startsWith('/login');
    nav.hidden = !signedIn;
    account.hidden = !signedIn;
    who.textContent = getUser()?.email ?? '';
    // comparing apps is part of the catalog
    const section = path === '/compare' ? '/catalog' : path;
    for (const a of nav.querySelectorAll('a')) {
      const active = section === a.pathname || (a.pathname !== '/' && section.startsWith(a.pathname + '/'));
      if (active) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  },
);

route('/login', loginPage, { public: true });
route('/catalog', catalogPage);
route('/catalog/:id', appPage);
route('/compare', comparePage);
route('/organisations', organisationsPage);
route('/organisations/:id', organisationPage);
route('/organisations/:id/new', newDeploymentPage);
route('/new', newDeploymentPage);
route('/deployments/:id', deploymentPage);
route('/targets', targetsPage);
setNotFound(({ root }) => {
  root.append(h('h1', null, 'Page not found'), h('p', null, 'This page does not exist. ', link('/organisations', 'Go to your organisations'), '.'));
});

start(main);
