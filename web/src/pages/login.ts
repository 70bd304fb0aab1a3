import { login } from '../api';
import { h, heading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';

export function loginPage({ root, query }: PageContext): void {
  const errors = new FormErrors();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Log in');
  errors.top.id = 'login-error';

  const form = h(
    'form',
    { class: 'card login-form', novalidate: true },
    heading('Log in to fedihost'),
    h('p', { class: 'muted' }, 'Host Mastodon, Pixelfed, PeerTube and friends for your organisation.'),
    errors.top,
    field({ label: 'Email', control: email, path: 'email', errors }),
    field({ label: 'Password', control: password, path: 'password', errors }),
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!email.value.trim()) return errors.showAt('email', 'Enter your email address.');
    if (!password.value) return errors.showAt('password', 'Enter your password.');
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
      await login(email.value.trim(), password.value);
      const next = query.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/organisations', { replace: true });
    } catch (e) {
      password.value = '';
      errors.show(e);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Log in';
    }
  });

  root.append(h('div', { class: 'login-wrap' }, form));
  email.focus();
}
