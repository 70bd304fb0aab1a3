// The "Your administrator login" cards of a deployment page: for each app the platform makes a
// first administrator for (the catalog's adminLogin), the user name, where to sign in and, on
// request, the password (POST …/admin-logins/reveal; each reveal is written in the audit log).
// Shown to the organisation's administrators and operators, who alone may see the passwords.
import { api, errorText } from '../api';
import { busy, copyField, h } from '../dom';
import type { App, Deployment, DeploymentApp } from '../types';

/** Where to sign in: the app's address and the catalog's login path. */
function loginUrl(a: DeploymentApp, path: string): string {
  const base = (a.url ?? '').replace(/\/+$/, '');
  return base + path;
}

export function adminLoginCards(opts: { deployment: () => Deployment; catalog: App[] }): { element: HTMLElement; draw(): void } {
  const element = h('div', { id: 'admin-logins' });

  function card(a: DeploymentApp, app: App): HTMLElement {
    const dep = opts.deployment();
    const login = app.adminLogin!;
    const applied = !!a.url && (a.live ?? dep.status === 'ready');
    const section = h('section', { class: 'card admin-login', 'data-admin-login': a.app }, h('h2', null, `Your administrator login for ${app.name}`));
    if (!applied) {
      section.append(
        h(
          'p',
          { class: 'muted', 'data-admin-login-pending': 'true' },
          `${app.name} makes its administrator when it is set up. The login appears here once the app is applied.`,
        ),
      );
      return section;
    }
    const url = loginUrl(a, login.loginPath);
    const passwordArea = h('div', { class: 'admin-password' });
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const show = h('button', { type: 'button', class: 'button-primary', 'data-show-password': a.app }, 'Show password');
    show.addEventListener('click', () =>
      busy(show, 'Opening…', async () => {
        error.hidden = true;
        try {
          const item = (await api.revealAdminLogins(dep.id)).find((x) => x.app === a.app);
          if (!item?.password) {
            passwordArea.replaceChildren(h('p', { class: 'muted' }, `The password is given once ${app.name} is applied. Apply the deployment, then try again.`));
            return;
          }
          const hide = h('button', { type: 'button', class: 'button-quiet' }, 'Hide password');
          hide.addEventListener('click', () => {
            passwordArea.replaceChildren();
            show.hidden = false;
            show.focus();
          });
          passwordArea.replaceChildren(
            copyField(item.password, 'Password', { id: `admin-password-${a.app}`, 'data-test': 'admin-password' }),
            h('div', { class: 'actions' }, hide),
          );
          show.hidden = true;
        } catch (e) {
          error.textContent = `Could not show the password: ${errorText(e)}`;
          error.hidden = false;
        }
      }),
    );
    section.append(
      h('p', null, `Sign in to ${app.name} as its administrator to set it up: its name, who may join, and accounts for your colleagues.`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Sign in at'),
        h('dd', null, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'admin-login-url' }, url)),
        h('dt', null, 'User name'),
        h('dd', null, h('code', { class: 'admin-username' }, login.username)),
      ),
      h('div', { class: 'actions' }, show),
      passwordArea,
      error,
      h(
        'p',
        { class: 'muted small' },
        `Keep the password to yourself: whoever has it can change everything in ${app.name}. Showing it is noted in your organisation's audit log. If you change it in ${app.name}, this page still shows the first one.`,
      ),
    );
    return section;
  }

  /** What the cards show depends on: redrawn only when it changes (a shown password stays). */
  let drawn = '';

  function draw(): void {
    const dep = opts.deployment();
    const key = JSON.stringify([dep.status, dep.apps.map((a) => [a.app, a.url, a.live])]);
    if (key === drawn) return;
    drawn = key;
    if (dep.status === 'deleted' || dep.status === 'deleting') {
      element.replaceChildren();
      return;
    }
    const cards: HTMLElement[] = [];
    for (const a of dep.apps) {
      const app = opts.catalog.find((c) => c.id === a.app);
      if (app?.adminLogin) cards.push(card(a, app));
    }
    element.replaceChildren(...cards);
  }

  return { element, draw };
}
