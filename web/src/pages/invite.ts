// /invite#token=… — accepting an invitation: "Join <Org> as <role>", with a
// password for a new account, or one button when already signed in.
// The token is in the fragment, so it never reaches a server's logs.
import { api, ApiError, errorText } from '../api';
import { busy, h, heading, link, loading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import type { InvitationInfo } from '../types';
import { roleHelp, roleLabel } from '../words';
import { PASSWORD_HELP } from './signup';

/** The token of a link like /invite#token=… (or ?token=…). */
export function linkToken(query: URLSearchParams): string {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? query.get('token') ?? '';
}

/** A password input with a "Show password" box under it. */
export function newPassword(name = 'password'): { input: HTMLInputElement; toggle: HTMLElement } {
  const input = h('input', { type: 'password', name, autocomplete: 'new-password', required: true });
  const box = h('input', { type: 'checkbox', class: 'show-password' });
  box.addEventListener('change', () => (input.type = box.checked ? 'text' : 'password'));
  return { input, toggle: h('label', { class: 'inline-row small muted' }, box, ' Show password') };
}

function wrap(...children: (Node | string | null)[]): HTMLElement {
  return h('div', { class: 'login-wrap' }, h('section', { class: 'card login-form', id: 'invitation' }, ...children));
}

function orgPath(info: InvitationInfo): string {
  const id = info.organisationId ?? session.memberships().find((o) => (o.displayName || o.name) === info.organisationName)?.id;
  return id ? `/organisations/${encodeURIComponent(id)}` : session.homePath();
}

export async function invitePage({ root, query, signal }: PageContext): Promise<void> {
  const token = linkToken(query);
  if (!token) {
    root.append(
      wrap(
        heading('Invitation'),
        h('p', null, 'This link is incomplete. Open the whole link from your invitation (it ends with a long code after “#token=”).'),
      ),
    );
    return;
  }
  root.append(wrap(loading('Looking at your invitation…')));
  let info: InvitationInfo;
  try {
    info = await api.inspectInvitation(token);
  } catch (e) {
    if (signal.aborted) return;
    const gone = e instanceof ApiError && [400, 404, 409, 410, 422].includes(e.status);
    root.replaceChildren(
      wrap(
        heading('Invitation'),
        h(
          'p',
          { class: 'form-error', role: 'alert', id: 'invitation-error' },
          gone ? 'This invitation cannot be used any more: it was used already, withdrawn, or it expired. Ask the person who invited you for a new link.' : errorText(e),
        ),
        h('p', null, link('/login', 'Log in')),
      ),
    );
    return;
  }
  if (signal.aborted) return;

  const title = `Join ${info.organisationName} as ${roleLabel(info.role)}`;
  const intro = h(
    'p',
    { class: 'lead', id: 'invitation-role' },
    `${roleLabel(info.role)}: ${roleHelp(info.role) || 'a role in this organisation'}.`,
  );
  const errors = new FormErrors();
  errors.top.id = 'invitation-error';

  // ---- signed in: one button ----
  const me = session.user();
  if (me) {
    const join = h('button', { type: 'button', class: 'button-primary', id: 'join' }, `Join ${info.organisationName}`);
    join.addEventListener('click', () =>
      busy(join, 'Joining…', async () => {
        try {
          await api.acceptInvitation(token);
          await session.refresh();
          navigate(orgPath(info), { replace: true });
        } catch (e) {
          errors.show(e);
        }
      }),
    );
    const other = info.email && info.email.toLowerCase() !== me.email.toLowerCase();
    root.replaceChildren(
      wrap(
        heading(title),
        intro,
        other
          ? h(
              'p',
              { class: 'notice' },
              `This invitation was sent to ${info.email}, and you are logged in as ${me.email}. Joining adds ${info.organisationName} to the account ${me.email}. `,
              'To join with another account, log out first and open the link again.',
            )
          : h('p', null, `You are logged in as ${me.email}.`),
        errors.top,
        h('div', { class: 'actions' }, join, link(session.homePath(), 'Not now')),
      ),
    );
    join.focus();
    return;
  }

  // ---- an account exists: log in first, then come back here ----
  const here = `/invite${location.hash || `#token=${encodeURIComponent(token)}`}`;
  if (info.accountExists) {
    const go = link(`/login?next=${encodeURIComponent(here)}`, `Log in as ${info.email}`);
    go.classList.add('button', 'button-primary');
    go.id = 'login-to-join';
    root.replaceChildren(
      wrap(heading(title), intro, h('p', null, `There is already an account for ${info.email}. Log in, and you will come back here to join.`), h('div', { class: 'actions' }, go)),
    );
    return;
  }

  // ---- a new account: choose a password ----
  const email = h('input', { type: 'email', name: 'email', readonly: true, autocomplete: 'username' });
  email.value = info.email;
  const pw = newPassword();
  const submit = h('button', { type: 'submit', class: 'button-primary', id: 'accept' }, 'Create my account and join');
  const form = h(
    'form',
    { novalidate: true, id: 'accept-form' },
    errors.top,
    field({ label: 'Email', control: email, path: 'email', errors, help: 'The address this invitation was sent to.' }),
    field({ label: 'Choose a password', control: pw.input, path: 'password', errors, required: true, help: PASSWORD_HELP }),
    pw.toggle,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!pw.input.value) return errors.showAt('password', 'Choose a password.');
    void busy(submit, 'Creating your account…', async () => {
      try {
        await api.acceptInvitation(token, pw.input.value);
        await session.refresh();
        navigate(orgPath(info), { replace: true });
      } catch (e) {
        errors.show(e);
      }
    });
  });
  root.replaceChildren(
    wrap(heading(title), intro, h('p', { class: 'muted' }, 'Choose a password for your new account. You will use it with your e-mail address to log in.'), form),
  );
  pw.input.focus();
}
