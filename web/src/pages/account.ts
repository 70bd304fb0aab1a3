// /account — the signed-in person's own account: password, e-mail, second
// factor, where she is signed in, and API tokens for scripts.
import { api, ApiError, errorText } from '../api';
import { busy, copyField, copyText, failure, formatDate, h, heading, loading } from '../dom';
import { field, FormErrors, nextId } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import { forgetAll } from '../store';
import type { ApiToken, LoginSession, Organisation, TotpSetup } from '../types';
import { deviceText, roleLabel, SCOPES, scopeLabel } from '../words';
import { newPassword } from './invite';
import { qrSvg } from '../components/qr';
import { PASSWORD_HELP } from './signup';

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP" (easier to type into an app). */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

function passwordInput(name: string, autocomplete: string): HTMLInputElement {
  return h('input', { type: 'password', name, autocomplete, required: true });
}

function done(text: string, id?: string): HTMLElement {
  return h('p', { class: 'notice notice-ok', role: 'status', id }, text);
}

// ---- password ----------------------------------------------------------------

function passwordCard(onChanged: () => void): HTMLElement {
  const errors = new FormErrors();
  const current = passwordInput('currentPassword', 'current-password');
  const pw = newPassword('newPassword');
  const submit = h('button', { type: 'submit' }, 'Change password');
  const status = h('div');
  const form = h(
    'form',
    { novalidate: true, id: 'password-form' },
    errors.top,
    h(
      'div',
      { class: 'row' },
      field({ label: 'Current password', control: current, path: 'currentPassword', errors, required: true }),
      h('div', { class: 'field-group' }, field({ label: 'New password', control: pw.input, path: 'newPassword', errors, required: true, help: PASSWORD_HELP }), pw.toggle),
    ),
    h('div', { class: 'actions' }, submit),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    status.replaceChildren();
    if (!current.value) return errors.showAt('currentPassword', 'Enter your current password.');
    if (!pw.input.value) return errors.showAt('newPassword', 'Choose a new password.');
    void busy(submit, 'Changing…', async () => {
      try {
        await api.changePassword(current.value, pw.input.value);
        form.reset();
        pw.input.type = 'password';
        status.replaceChildren(done('Password changed. Your other sessions were signed out; this one stays.', 'password-changed'));
        onChanged();
      } catch (e) {
        errors.show(e);
      }
    });
  });
  return h('section', { class: 'card', id: 'password' }, h('h2', null, 'Password'), form);
}

// ---- e-mail ----------------------------------------------------------------

function emailCard(): HTMLElement {
  const errors = new FormErrors();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = passwordInput('password', 'current-password');
  const submit = h('button', { type: 'submit' }, 'Change e-mail');
  const status = h('div');
  const now = h('p', null, 'You log in with ', h('strong', { id: 'current-email' }, session.user()?.email ?? ''), '.');
  const form = h(
    'form',
    { novalidate: true, id: 'email-form' },
    errors.top,
    h(
      'div',
      { class: 'row' },
      field({ label: 'New e-mail address', control: email, path: 'email', errors, required: true }),
      field({ label: 'Your password', control: password, path: 'password', errors, required: true, help: 'To make sure it is you.' }),
    ),
    h('div', { class: 'actions' }, submit),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    status.replaceChildren();
    if (!email.value.trim()) return errors.showAt('email', 'Enter the new address.');
    if (!password.value) return errors.showAt('password', 'Enter your password.');
    void busy(submit, 'Changing…', async () => {
      try {
        await api.changeEmail(password.value, email.value.trim());
        const me = await session.refresh();
        form.reset();
        now.querySelector('strong')!.textContent = me?.user.email ?? '';
        status.replaceChildren(done(`From now on you log in with ${me?.user.email ?? 'the new address'}.`, 'email-changed'));
      } catch (e) {
        errors.show(e);
      }
    });
  });
  return h('section', { class: 'card', id: 'email' }, h('h2', null, 'E-mail address'), now, form);
}

// ---- second factor -------------------------------------------------------------

function totpCard(required: boolean): HTMLElement {
  const body = h('div');
  const card = h('section', { class: 'card', id: 'totp' }, h('h2', null, 'Second factor'), body);
  const requiredBy = session.memberships().filter((o) => o.requireTotp);
  // what the server said at load, then what this page did
  let enabled = !!session.user()?.totpEnabled;

  function drawState(): void {
    const on = enabled;
    card.dataset.state = on ? 'on' : 'off';
    if (on) drawOn();
    else drawOff();
  }

  function drawOff(): void {
    const start = h('button', { type: 'button', class: 'button-primary', id: 'totp-start' }, 'Set up a second factor');
    const errors = new FormErrors();
    start.addEventListener('click', () =>
      busy(start, 'Starting…', async () => {
        try {
          drawSetup(await api.beginTotp());
        } catch (e) {
          errors.show(e);
        }
      }),
    );
    body.replaceChildren(
      required
        ? h('p', { class: 'notice', role: 'alert', id: 'totp-required' }, 'An organisation you belong to asks every member for a second factor. Set one up to go on working in it.')
        : '',
      h('p', null, h('span', { class: 'badge status-new', id: 'totp-status' }, 'Off'), ' Besides your password, ask for a code from an app on your phone when you log in. Someone who learns your password still cannot get in.'),
      requiredBy.length ? h('p', { class: 'muted small' }, `Required by ${requiredBy.map((o) => o.displayName || o.name).join(', ')}.`) : '',
      errors.top,
      h('div', { class: 'actions' }, start),
    );
  }

  function drawSetup(setup: TotpSetup): void {
    const errors = new FormErrors();
    const code = h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 10, spellcheck: 'false' });
    const confirm = h('button', { type: 'submit', class: 'button-primary', id: 'totp-confirm' }, 'Turn on');
    const cancel = h('button', { type: 'button', class: 'button-quiet' }, 'Cancel');
    cancel.addEventListener('click', drawState);
    const form = h(
      'form',
      { novalidate: true, id: 'totp-confirm-form' },
      errors.top,
      field({ label: 'Code from the app', control: code, path: 'code', errors, required: true, help: 'The 6 digits the app shows for fedihost now.' }),
      h('div', { class: 'actions' }, confirm, cancel),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      errors.clear();
      const c = code.value.replace(/\s+/g, '');
      if (!c) return errors.showAt('code', 'Enter the code the app shows.');
      void busy(confirm, 'Checking…', async () => {
        try {
          const answer = await api.confirmTotp(c);
          enabled = true;
          await session.refresh().catch(() => null);
          drawRecovery(answer.recoveryCodes ?? []);
        } catch (e) {
          errors.show(e instanceof ApiError && !e.field ? new ApiError(e.status, { ...e.problem, field: 'code' }) : e);
        }
      });
    });
    body.replaceChildren(
      h(
        'ol',
        { class: 'setup-steps' },
        h(
          'li',
          null,
          h('p', null, 'Open an authenticator app on your phone (for example Aegis, FreeOTP, or Google Authenticator), add an account, and scan this code:'),
          h('div', { class: 'qr', id: 'totp-qr' }, qrSvg(setup.uri, 'QR code to scan with an authenticator app') ?? h('p', { class: 'muted' }, 'The setup link is too long for a QR code: type the key below.')),
          h('p', null, 'Cannot scan it? Type this key into the app instead:'),
          h('p', { class: 'totp-secret' }, h('code', { 'data-test': 'totp-secret', id: 'totp-secret' }, groupSecret(setup.secret))),
          h(
            'details',
            { class: 'small' },
            h('summary', null, 'The same as a setup link (otpauth://), for apps that take one'),
            copyField(setup.uri, 'Setup link', { 'data-test': 'totp-uri', id: 'totp-uri' }),
          ),
        ),
        h('li', null, h('p', null, 'Type the code the app now shows for fedihost:'), form),
      ),
    );
    code.focus();
  }

  function drawRecovery(codes: string[]): void {
    const copy = h('button', { type: 'button', id: 'recovery-copy' }, 'Copy all');
    const copied = h('span', { class: 'muted small', role: 'status' });
    copy.addEventListener('click', async () => {
      copied.textContent = (await copyText(codes.join('\n'))) ? 'Copied.' : 'Select them and copy them by hand.';
    });
    const download = h('a', { class: 'button', download: 'fedihost-recovery-codes.txt', href: '#' }, 'Download');
    download.addEventListener('click', () => {
      const blob = new Blob([`fedihost recovery codes for ${session.user()?.email ?? ''}\nEach works once, in place of a code.\n\n${codes.join('\n')}\n`], { type: 'text/plain' });
      download.href = URL.createObjectURL(blob);
      setTimeout(() => URL.revokeObjectURL(download.href), 10_000);
    });
    const ok = h('button', { type: 'button', class: 'button-primary', id: 'recovery-done' }, 'I have kept them somewhere safe');
    ok.addEventListener('click', drawState);
    body.replaceChildren(
      done('The second factor is on. From now on you log in with your password and a code from the app.', 'totp-on'),
      h('h3', null, 'Your recovery codes'),
      h(
        'p',
        null,
        h('strong', null, 'Keep these somewhere safe: they are shown only now. '),
        'If you lose your phone, each code lets you log in once, in place of a code from the app.',
      ),
      h('ol', { class: 'recovery-codes', 'data-test': 'recovery-codes', id: 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c)))),
      h('div', { class: 'actions' }, copy, download, copied),
      h('div', { class: 'actions' }, ok),
    );
    ok.focus();
  }

  function drawOn(): void {
    const errors = new FormErrors();
    const password = passwordInput('password', 'current-password');
    const off = h('button', { type: 'submit', class: 'button-danger-quiet', id: 'totp-off' }, 'Turn off the second factor');
    const form = h(
      'form',
      { novalidate: true, id: 'totp-off-form' },
      errors.top,
      field({ label: 'Your password', control: password, path: 'password', errors, required: true, help: 'To turn it off, confirm it is you.' }),
      h('div', { class: 'actions' }, off),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      errors.clear();
      if (!password.value) return errors.showAt('password', 'Enter your password.');
      void busy(off, 'Turning off…', async () => {
        try {
          await api.disableTotp(password.value);
          enabled = false;
          await session.refresh().catch(() => null);
          drawState();
        } catch (e) {
          errors.show(e);
        }
      });
    });
    body.replaceChildren(
      h('p', null, h('span', { class: 'badge status-ready', id: 'totp-status' }, 'On'), ' You log in with your password and a code from your authenticator app.'),
      requiredBy.length
        ? h('p', { class: 'notice' }, `${requiredBy.map((o) => o.displayName || o.name).join(', ')} require${requiredBy.length === 1 ? 's' : ''} it: without it you cannot work there.`)
        : '',
      h('details', null, h('summary', null, 'Turn it off'), form),
    );
  }

  drawState();
  return card;
}

// ---- sessions ------------------------------------------------------------------

function sessionsCard(signal: AbortSignal): { element: HTMLElement; load: () => Promise<void> } {
  const list = h('ul', { class: 'list', id: 'sessions' });
  const status = h('div', null, loading('Loading your sessions…'));
  const everywhere = h('button', { type: 'button', class: 'button-danger-quiet', id: 'logout-all' }, 'Sign out everywhere');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const cs = session.current()?.session;
  const currentId = typeof cs === 'string' ? cs : cs?.id;

  const signOutHere = () => {
    session.forget();
    forgetAll();
    navigate('/login');
  };

  everywhere.addEventListener('click', () =>
    busy(everywhere, 'Signing out…', async () => {
      try {
        await api.logoutAll();
      } catch {
        /* signed out anyway, or the server will say so */
      }
      signOutHere();
    }),
  );

  function row(s: LoginSession): HTMLElement {
    const here = s.current === true || (!!currentId && s.id === currentId);
    const out = h('button', { type: 'button', class: 'button-quiet' }, here ? 'Sign out' : 'Sign out');
    out.addEventListener('click', () =>
      busy(out, 'Signing out…', async () => {
        error.hidden = true;
        try {
          await api.endSession(s.id);
          if (here) return signOutHere();
          li.remove();
        } catch (e) {
          error.textContent = errorText(e);
          error.hidden = false;
        }
      }),
    );
    const li = h(
      'li',
      { class: 'list-row', 'data-session': s.id, 'data-current': here ? 'true' : null },
      h(
        'div',
        null,
        h('strong', null, deviceText(s.userAgent)),
        here ? h('span', { class: 'badge status-ready' }, ' this browser') : null,
        h(
          'div',
          { class: 'muted small' },
          [s.remote ? `from ${s.remote}` : '', s.createdAt ? `signed in ${formatDate(s.createdAt)}` : '', s.lastUsedAt ? `last active ${formatDate(s.lastUsedAt)}` : '']
            .filter(Boolean)
            .join(' · '),
        ),
      ),
      out,
    );
    return li;
  }

  async function load(): Promise<void> {
    status.replaceChildren(loading('Loading your sessions…'));
    try {
      const items = await api.sessions();
      if (signal.aborted) return;
      list.replaceChildren(...items.map(row));
      status.replaceChildren(items.length ? '' : h('p', { class: 'empty' }, 'No session.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load your sessions: ${errorText(e)}`, () => void load()));
    }
  }

  const element = h(
    'section',
    { class: 'card', id: 'sessions-card' },
    h('div', { class: 'section-head' }, h('h2', null, 'Where you are signed in'), everywhere),
    h('p', { class: 'muted' }, 'Sign out a browser you no longer use, or everywhere at once if you think someone else got in (your API tokens stay: revoke them below).'),
    error,
    list,
    status,
  );
  return { element, load };
}

// ---- API tokens ------------------------------------------------------------------

function tokensCard(signal: AbortSignal): { element: HTMLElement; load: () => Promise<void> } {
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table', id: 'tokens' },
    h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'May'), h('th', null, 'Organisation'), h('th', null, 'Last used'), h('th', null, 'Expires'), h('th', null, ''))),
    body,
  );
  const status = h('div', null, loading('Loading your tokens…'));
  const created = h('div', { id: 'token-created' });
  let orgs: { id: string; name: string }[] = session.memberships().map((o) => ({ id: o.id, name: o.displayName || o.name }));
  const orgName = (id: string | null | undefined) => (id ? orgs.find((o) => o.id === id)?.name ?? id : 'All');

  function row(t: ApiToken): HTMLElement {
    const revoke = h('button', { type: 'button', class: 'button-danger-quiet small' }, 'Revoke');
    const tr = h(
      'tr',
      { 'data-token': t.id },
      h('td', null, h('strong', null, t.name)),
      h('td', { class: 'small' }, (t.scopes ?? []).join(', ')),
      h('td', { class: 'small' }, orgName(t.organisation)),
      h('td', { class: 'small', 'data-test': 'last-used' }, t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'),
      h('td', { class: 'small' }, t.expiresAt ? formatDate(t.expiresAt) : 'never'),
      h('td', null, revoke),
    );
    revoke.addEventListener('click', () =>
      busy(revoke, 'Revoking…', async () => {
        try {
          await api.revokeToken(t.id);
          tr.remove();
          if (!body.children.length) status.replaceChildren(h('p', { class: 'empty' }, 'No API token.'));
        } catch (e) {
          status.replaceChildren(failure(`Could not revoke ${t.name}: ${errorText(e)}`));
        }
      }),
    );
    return tr;
  }

  async function load(): Promise<void> {
    try {
      const items = await api.tokens();
      if (signal.aborted) return;
      body.replaceChildren(...items.map(row));
      table.hidden = !items.length;
      status.replaceChildren(items.length ? '' : h('p', { class: 'empty' }, 'No API token.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load your tokens: ${errorText(e)}`, () => void load()));
    }
  }

  // -- the form --
  const errors = new FormErrors();
  errors.top.id = 'token-error';
  const name = h('input', { type: 'text', name: 'name', placeholder: 'backup script', required: true });
  const boxes = SCOPES.map((s) => {
    const box = h('input', { type: 'checkbox', name: 'scopes', value: s, id: nextId(`scope-${s}`), checked: s === 'read' });
    return { scope: s, box, el: h('div', { class: 'inline-row' }, box, h('label', { for: box.id }, scopeLabel(s))) };
  });
  const scopesError = h('p', { class: 'field-error', hidden: true, 'data-error-for': 'scopes', 'aria-live': 'polite' });
  errors.register('scopes', scopesError, boxes[0]!.box);
  const scopes = h('fieldset', { class: 'scopes' }, h('legend', null, 'What it may do'), boxes.map((b) => b.el), scopesError);
  const expires = h('input', { type: 'date', name: 'expiresAt' });
  const orgSelect = h('select', { name: 'organisation' });
  const fillOrgs = () =>
    orgSelect.replaceChildren(h('option', { value: '' }, 'All my organisations'), ...orgs.map((o) => h('option', { value: o.id }, o.name)));
  fillOrgs();
  if (session.isOperator()) {
    // operators see every organisation
    api
      .allOrganisations()
      .then((all: Organisation[]) => {
        orgs = all.map((o) => ({ id: o.id, name: o.displayName || o.name }));
        fillOrgs();
      })
      .catch(() => {});
  }
  const submit = h('button', { type: 'submit' }, 'Create token');
  const form = h(
    'form',
    { novalidate: true, id: 'token-form' },
    h('h3', null, 'New token'),
    errors.top,
    field({ label: 'Name', control: name, path: 'name', errors, required: true, help: 'What it is for, so you recognise it later.' }),
    scopes,
    h(
      'div',
      { class: 'row' },
      field({ label: 'Expires on', control: expires, path: 'expiresAt', errors, help: 'Leave empty for a token that works until you revoke it.' }),
      field({ label: 'Organisation', control: orgSelect, path: 'organisation', errors, help: 'A token for one organisation sees nothing of the others.' }),
    ),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    created.replaceChildren();
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.scope);
    if (!name.value.trim()) return errors.showAt('name', 'Give the token a name.');
    if (!chosen.length) return errors.showAt('scopes', 'Tick at least one thing it may do.');
    const body: { name: string; scopes: string[]; expiresAt?: string; organisation?: string } = { name: name.value.trim(), scopes: chosen };
    if (expires.value) {
      const end = new Date(`${expires.value}T23:59:59`);
      if (Number.isNaN(end.getTime())) return errors.showAt('expiresAt', 'Choose a date.');
      if (end.getTime() < Date.now()) return errors.showAt('expiresAt', 'Choose a day that has not passed.');
      body.expiresAt = end.toISOString();
    }
    if (orgSelect.value) body.organisation = orgSelect.value;
    void busy(submit, 'Creating…', async () => {
      try {
        const t = await api.createToken(body);
        form.reset();
        boxes.forEach((b) => (b.box.checked = b.scope === 'read'));
        created.replaceChildren(
          h(
            'div',
            { class: 'banner banner-ok', role: 'status' },
            h('h3', null, `Token “${t.name ?? body.name}” created`),
            h('p', null, h('strong', null, 'Copy it now: it is shown only this once.'), ' Tools send it as “Authorization: Bearer …”.'),
            copyField(t.token ?? '', 'Your new token', { 'data-test': 'new-token', id: 'new-token' }),
          ),
        );
        await load();
      } catch (e) {
        errors.show(e);
      }
    });
  });

  const element = h(
    'section',
    { class: 'card', id: 'tokens-card' },
    h('h2', null, 'API tokens'),
    h('p', { class: 'muted' }, 'For scripts and the fedihost command line: a token acts as you, limited to what you tick.'),
    created,
    table,
    status,
    form,
  );
  return { element, load };
}

// ---- the page ----------------------------------------------------------------------

export async function accountPage({ root, query, signal }: PageContext): Promise<void> {
  const me = session.current();
  if (!me) return;
  const orgs = session.memberships();
  const sessions = sessionsCard(signal);
  const tokens = tokensCard(signal);
  root.append(
    heading('Your account'),
    h(
      'p',
      { class: 'lead' },
      me.user.email,
      session.isOperator() ? h('span', { class: 'badge badge-ap' }, roleLabel('operator')) : null,
      orgs.length ? ` · ${orgs.map((o) => `${o.displayName || o.name} (${roleLabel(o.role)})`).join(', ')}` : null,
    ),
    totpCard(query.get('totp') === 'required'),
    passwordCard(() => void sessions.load()),
    emailCard(),
    sessions.element,
    tokens.element,
  );
  await Promise.all([sessions.load(), tokens.load()]);
}
