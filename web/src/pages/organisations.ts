import { api, errorText } from '../api';
import { failure, formatDate, h, heading, link, loading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate, type PageContext } from '../router';
import * as session from '../session';
import type { Organisation } from '../types';
import { roleLabel } from '../words';

/** "Riverside School" → "riverside-school" */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
}

function orgRow(o: Organisation): HTMLElement {
  const role = session.isOperator() ? null : session.roleIn(o.id);
  return h(
    'li',
    { class: 'list-row', 'data-org': o.id },
    h(
      'div',
      null,
      link(`/organisations/${encodeURIComponent(o.id)}`, h('strong', null, o.displayName || o.name)),
      o.displayName && o.displayName !== o.name ? h('span', { class: 'muted' }, ` (${o.name})`) : null,
      role ? h('span', { class: 'badge role-badge', 'data-role': role }, roleLabel(role)) : null,
    ),
    h('span', { class: 'muted' }, `created ${formatDate(o.createdAt)}`),
  );
}

function createForm(): HTMLElement {
  const errors = new FormErrors();
  const displayName = h('input', { type: 'text', name: 'displayName', placeholder: 'Riverside School', autocomplete: 'organization' });
  const name = h('input', { type: 'text', name: 'name', placeholder: 'riverside-school', autocapitalize: 'off', spellcheck: 'false' });
  let nameTouched = false;
  displayName.addEventListener('input', () => {
    if (!nameTouched) name.value = slugify(displayName.value);
  });
  name.addEventListener('input', () => (nameTouched = name.value !== ''));
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Create organisation');
  const form = h(
    'form',
    { class: 'card', id: 'create-organisation', novalidate: true },
    h('h2', null, 'New organisation'),
    h('p', { class: 'muted' }, 'A school, an association, a newspaper, a band… Each organisation has its own deployments.'),
    errors.top,
    h(
      'div',
      { class: 'row' },
      field({ label: 'Name', control: displayName, path: 'displayName', errors, help: 'As people know it.', required: true }),
      field({ label: 'Short name', control: name, path: 'name', errors, help: 'Lower-case letters, digits and dashes, starting with a letter (at most 32); used in addresses.', required: true }),
    ),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!name.value.trim() && displayName.value.trim()) name.value = slugify(displayName.value);
    if (!name.value.trim()) return errors.showAt(displayName.value.trim() ? 'name' : 'displayName', 'Enter a name for the organisation.');
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const body: { name: string; displayName?: string } = { name: name.value.trim() };
      if (displayName.value.trim()) body.displayName = displayName.value.trim();
      const org = await api.createOrganisation(body);
      navigate(`/organisations/${encodeURIComponent(org.id)}`);
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create organisation';
    }
  });
  return form;
}

export async function organisationsPage({ root, signal }: PageContext): Promise<void> {
  const list = h('ul', { class: 'list', id: 'organisations' });
  const status = h('div', null, loading('Loading organisations…'));
  const more = h('button', { type: 'button', class: 'button-quiet', hidden: true }, 'Show more');
  root.append(
    heading('Organisations'),
    h('section', { class: 'card' }, list, status, more),
    // new organisations are the provider's to create (customers sign up, or are invited)
    session.can('operator') ? createForm() : '',
  );
  let cursor: string | null = null;
  const load = async () => {
    status.replaceChildren(loading('Loading organisations…'));
    more.hidden = true;
    try {
      const page = await api.organisations(cursor);
      if (signal.aborted) return;
      list.append(...page.items.map(orgRow));
      cursor = page.next;
      more.hidden = !cursor;
      status.replaceChildren(
        list.children.length
          ? ''
          : h('p', { class: 'empty' }, session.can('operator') ? 'No organisation yet. Create the first one below.' : 'You do not belong to any organisation yet. Ask for an invitation.'),
      );
    } catch (e) {
      status.replaceChildren(failure(`Could not load organisations: ${errorText(e)}`, () => void load()));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
