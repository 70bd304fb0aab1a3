// Sign up (when the provider allows it): an account and the organisation she
// runs, in one form.
import { api, login } from '../api';
import { h, heading, link, loading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import { slugify } from './organisations';

/** The server says how long a password must be (next to the field); this says how to choose one. */
export const PASSWORD_HELP = 'Make it long: a few unrelated words are easy to remember and hard to guess.';

export async function signupPage({ root, signal }: PageContext): Promise<void> {
  root.append(h('div', { class: 'login-wrap' }, loading()));
  const options = await api.options().catch(() => null);
  if (signal.aborted) return;
  if (!options?.signup) {
    root.replaceChildren(
      h(
        'div',
        { class: 'login-wrap' },
        h(
          'section',
          { class: 'card login-form' },
          heading('Sign up'),
          h('p', null, 'This provider does not take sign-ups here. Ask them for an invitation.'),
          h('p', null, link('/login', 'Log in')),
        ),
      ),
    );
    return;
  }

  const errors = new FormErrors();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true });
  const orgName = h('input', { type: 'text', name: 'organisation', autocomplete: 'organization', placeholder: 'Riverside School', required: true });
  const shortName = h('input', { type: 'text', name: 'organisationName', placeholder: 'riverside-school', autocapitalize: 'off', spellcheck: 'false' });
  let touched = false;
  orgName.addEventListener('input', () => {
    if (!touched) shortName.value = slugify(orgName.value);
  });
  shortName.addEventListener('input', () => (touched = shortName.value !== ''));
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Create my account');

  const form = h(
    'form',
    { class: 'card login-form', id: 'signup-form', novalidate: true },
    heading('Sign up'),
    h('p', { class: 'muted' }, 'Create your account and your organisation. You can invite colleagues afterwards.'),
    errors.top,
    field({ label: 'Email', control: email, path: 'email', errors, required: true }),
    field({ label: 'Password', control: password, path: 'password', errors, required: true, help: PASSWORD_HELP }),
    field({ label: 'Organisation', control: orgName, path: 'organisation.displayName', errors, required: true, help: 'Your school, association, newspaper, band…' }),
    field({
      label: 'Short name',
      control: shortName,
      path: 'organisation.name',
      errors,
      help: 'Lower-case letters, digits and dashes, starting with a letter; used in addresses.',
    }),
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'login-links' }, 'Already have an account? ', link('/login', 'Log in')),
  );
  // an error about the organisation as a whole goes next to its name
  errors.register('organisation', form.querySelector('[data-error-for="organisation.displayName"]') as HTMLElement, orgName);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!email.value.trim()) return errors.showAt('email', 'Enter your email address.');
    if (!password.value) return errors.showAt('password', 'Choose a password.');
    if (!orgName.value.trim()) return errors.showAt('organisation.displayName', 'Enter the name of your organisation.');
    if (!shortName.value.trim()) shortName.value = slugify(orgName.value);
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      await api.signup({
        email: email.value.trim(),
        password: password.value,
        organisation: { name: shortName.value.trim(), displayName: orgName.value.trim() },
      });
      // signed in by the answer's cookie, or else log in now
      if (!(await session.refresh())) {
        await login(email.value.trim(), password.value);
        await session.refresh();
      }
      navigate(session.homePath(), { replace: true });
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create my account';
    }
  });

  root.replaceChildren(h('div', { class: 'login-wrap' }, form));
  email.focus();
}
