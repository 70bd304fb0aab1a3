// Forgotten password: /forgot asks for a link by e-mail; /reset#token=… sets
// a new password with it.
import { api, ApiError } from '../api';
import { busy, h, heading, link } from '../dom';
import { field, FormErrors } from '../forms';
import type { PageContext } from '../router';
import * as session from '../session';
import { linkToken, newPassword } from './invite';
import { PASSWORD_HELP } from './signup';

function wrap(...children: (Node | string | null)[]): HTMLElement {
  return h('div', { class: 'login-wrap' }, h('section', { class: 'card login-form' }, ...children));
}

export function forgotPage({ root }: PageContext): void {
  const errors = new FormErrors();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Send me a link');
  const form = h(
    'form',
    { novalidate: true, id: 'forgot-form' },
    errors.top,
    field({ label: 'Email', control: email, path: 'email', errors }),
    h('div', { class: 'actions' }, submit, link('/login', 'Back to log in')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!email.value.trim()) return errors.showAt('email', 'Enter your email address.');
    void busy(submit, 'Sending…', async () => {
      try {
        await api.requestPasswordReset(email.value.trim());
        form.replaceWith(
          h(
            'p',
            { class: 'notice notice-ok', role: 'status', id: 'forgot-sent' },
            `If ${email.value.trim()} has an account here, a link to choose a new password is on its way. It works for one hour. Check your spam folder too.`,
          ),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) {
          errors.showAt('', 'This provider cannot send e-mail. Ask them to reset your password for you.');
          return;
        }
        errors.show(e);
      }
    });
  });
  root.append(wrap(heading('Forgot your password?'), h('p', { class: 'muted' }, 'We will e-mail you a link to choose a new one.'), form));
  email.focus();
}

export function resetPage({ root, query }: PageContext): void {
  const token = linkToken(query);
  if (!token) {
    root.append(
      wrap(
        heading('Choose a new password'),
        h('p', null, 'This link is incomplete. Open the whole link from the e-mail, or ', link('/forgot', 'ask for a new one'), '.'),
      ),
    );
    return;
  }
  const errors = new FormErrors();
  errors.top.id = 'reset-error';
  const pw = newPassword();
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Save the new password');
  const form = h(
    'form',
    { novalidate: true, id: 'reset-form' },
    errors.top,
    field({ label: 'New password', control: pw.input, path: 'password', errors, required: true, help: PASSWORD_HELP }),
    pw.toggle,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!pw.input.value) return errors.showAt('password', 'Choose a new password.');
    void busy(submit, 'Saving…', async () => {
      try {
        await api.confirmPasswordReset(token, pw.input.value);
        session.forget();
        history.replaceState(null, '', '/reset'); // the link is used up
        form.replaceWith(
          h(
            'div',
            { role: 'status', id: 'reset-done' },
            h('p', { class: 'notice notice-ok' }, 'Your password is changed. Every session of your account was signed out.'),
            h('p', null, link('/login', 'Log in with the new password')),
          ),
        );
      } catch (e) {
        if (e instanceof ApiError && e.field !== 'password' && [400, 404, 409, 410, 422].includes(e.status)) {
          errors.showAt('', 'This link cannot be used any more: it was used already or is older than one hour. Ask for a new one.');
          errors.top.append(' ', link('/forgot', 'New link'));
          return;
        }
        errors.show(e);
      }
    });
  });
  root.append(wrap(heading('Choose a new password'), form));
  pw.input.focus();
}
