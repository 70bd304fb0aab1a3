// Log in: e-mail and password, then (for accounts with a second factor) the
// code from an authenticator app or a recovery code.
import { api, ApiError, login, tooManyText } from '../api';
import { h, heading, link } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import type { AuthOptions } from '../types';

/** Where to go after signing in: `next` when it is a path of this panel. */
export function afterLogin(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : session.homePath();
}

export function loginPage({ root, query, signal }: PageContext): void {
  const errors = new FormErrors();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', {
    type: 'text',
    name: 'totp',
    autocomplete: 'one-time-code',
    inputmode: 'text',
    spellcheck: 'false',
    autocapitalize: 'off',
    maxlength: 64,
  });
  const codeField = field({
    label: 'Code from your authenticator app',
    control: code,
    path: 'totp',
    errors,
    help: 'The 6 digits your app shows now. Lost your phone? Type one of your recovery codes instead.',
  });
  codeField.hidden = true;
  codeField.id = 'totp-field';
  const codeNote = h('p', { class: 'notice', role: 'status', hidden: true, id: 'totp-note' }, 'This account has a second factor: enter the code from your authenticator app.');
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Log in');
  const links = h('p', { class: 'login-links' });
  errors.top.id = 'login-error';

  const form = h(
    'form',
    { class: 'card login-form', novalidate: true },
    heading('Log in to fedihost'),
    h('p', { class: 'muted' }, 'Host Mastodon, Pixelfed, PeerTube and friends for your organisation.'),
    errors.top,
    field({ label: 'Email', control: email, path: 'email', errors }),
    field({ label: 'Password', control: password, path: 'password', errors }),
    codeNote,
    codeField,
    h('div', { class: 'actions' }, submit),
    links,
  );

  let waitUntil = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  signal.addEventListener('abort', () => timer && clearInterval(timer));

  /** 429: say how long to wait and keep the button off until then. */
  function throttled(seconds: number | undefined): void {
    const s = seconds && seconds > 0 ? seconds : 5;
    waitUntil = Date.now() + s * 1000;
    const tick = () => {
      const left = Math.ceil((waitUntil - Date.now()) / 1000);
      if (left <= 0) {
        if (timer) clearInterval(timer);
        timer = null;
        submit.disabled = false;
        errors.top.hidden = true;
        return;
      }
      submit.disabled = true;
      errors.top.textContent = tooManyText(left);
      errors.top.hidden = false;
    };
    if (timer) clearInterval(timer);
    timer = setInterval(tick, 1000);
    tick();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (Date.now() < waitUntil) return;
    errors.clear();
    if (!email.value.trim()) return errors.showAt('email', 'Enter your email address.');
    if (!password.value) return errors.showAt('password', 'Enter your password.');
    const wantsCode = !codeField.hidden;
    const totp = code.value.trim();
    if (wantsCode && !totp) return errors.showAt('totp', 'Enter the code from your authenticator app, or a recovery code.');
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    let ok = false;
    try {
      await login(email.value.trim(), password.value, wantsCode ? totp : undefined);
      await session.refresh();
      ok = true;
      navigate(afterLogin(query.get('next')), { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        submit.textContent = 'Log in';
        throttled(e.retryAfter);
        return;
      }
      if (e instanceof ApiError && e.status === 401 && e.totp === 'required') {
        // the password was right: ask for the second factor and send both again
        codeField.hidden = false;
        codeNote.hidden = false;
        code.focus();
        return;
      }
      if (e instanceof ApiError && e.status === 401 && e.totp === 'invalid') {
        codeField.hidden = false;
        code.value = '';
        errors.showAt('totp', e.detail || 'This code is not right (or was used already). Wait for the next one and try again.');
        return;
      }
      password.value = '';
      code.value = '';
      codeField.hidden = true;
      codeNote.hidden = true;
      errors.show(e);
      if (!(e instanceof ApiError && e.field)) password.focus();
    } finally {
      if (!ok && Date.now() >= waitUntil) submit.disabled = false;
      if (!ok) submit.textContent = 'Log in';
    }
  });

  root.append(h('div', { class: 'login-wrap' }, form));
  email.focus();

  // "Forgot password" and "Sign up" only where this server offers them.
  api
    .options()
    .then((o: AuthOptions) => {
      if (signal.aborted) return;
      links.replaceChildren(
        o.passwordReset ? link('/forgot', 'Forgot your password?') : '',
        o.passwordReset && o.signup ? ' · ' : '',
        o.signup ? h('span', null, 'New here? ', link('/signup', 'Sign up')) : '',
      );
    })
    .catch(() => {
      /* an older server: neither */
    });
}
