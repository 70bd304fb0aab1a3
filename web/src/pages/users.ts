// /users — for the provider's staff: every account, and disabling one (its
// sessions and tokens stop at once) or enabling it again.
import { api, errorText } from '../api';
import { busy, failure, formatDate, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';
import type { User } from '../types';
import { roleLabel } from '../words';

export function operatorOnly(root: HTMLElement, title: string): boolean {
  if (session.can('operator')) return false;
  root.append(heading(title), h('p', { class: 'empty', id: 'operators-only' }, 'Only the provider’s staff can see this page.'));
  return true;
}

export async function usersPage({ root, signal }: PageContext): Promise<void> {
  if (operatorOnly(root, 'Users')) return;
  const body = h('tbody');
  const status = h('div', null, loading('Loading users…'));
  const more = h('button', { type: 'button', class: 'button-quiet', hidden: true }, 'Show more');
  const myId = session.user()?.id;

  function row(u: User): HTMLElement {
    const cell = h('td');
    const state = h('td');
    const tr = h('tr', { 'data-user': u.id, 'data-email': u.email });
    const draw = (user: User) => {
      tr.dataset.disabled = String(!!user.disabled);
      state.replaceChildren(user.disabled ? h('span', { class: 'badge status-failed' }, 'disabled') : h('span', { class: 'badge status-ready' }, 'active'));
      if (user.id === myId) {
        cell.replaceChildren(h('span', { class: 'muted small' }, 'you'));
        return;
      }
      const btn = h('button', { type: 'button', class: user.disabled ? '' : 'button-danger-quiet' }, user.disabled ? 'Enable' : 'Disable');
      btn.setAttribute('aria-label', `${user.disabled ? 'Enable' : 'Disable'} ${user.email}`);
      btn.addEventListener('click', () =>
        busy(btn, user.disabled ? 'Enabling…' : 'Disabling…', async () => {
          try {
            const answer = user.disabled ? await api.enableUser(user.id) : await api.disableUser(user.id);
            draw(answer && answer.id ? answer : { ...user, disabled: !user.disabled });
          } catch (e) {
            cell.append(h('div', { class: 'small error-text', role: 'alert' }, errorText(e)));
          }
        }),
      );
      cell.replaceChildren(btn);
    };
    tr.append(
      h('td', null, h('strong', null, u.email)),
      h('td', null, session.isOperator(u) ? roleLabel('operator') : 'Customer'),
      h('td', null, u.totpEnabled === undefined ? '—' : u.totpEnabled ? 'yes' : 'no'),
      h('td', { class: 'small' }, formatDate(u.createdAt)),
      state,
      cell,
    );
    draw(u);
    return tr;
  }

  root.append(
    heading('Users'),
    h('p', { class: 'muted' }, 'Every account of this installation. Disabling an account signs it out everywhere and stops its API tokens at once; enabling it lets the person log in again.'),
    h(
      'section',
      { class: 'card' },
      h(
        'table',
        { class: 'table', id: 'users' },
        h('thead', null, h('tr', null, h('th', null, 'E-mail'), h('th', null, 'Kind'), h('th', null, 'Second factor'), h('th', null, 'Since'), h('th', null, 'State'), h('th', null, ''))),
        body,
      ),
      status,
      more,
    ),
  );

  let cursor: string | null = null;
  const load = async () => {
    status.replaceChildren(loading('Loading users…'));
    more.hidden = true;
    try {
      const page = await api.users(cursor);
      if (signal.aborted) return;
      body.append(...page.items.map(row));
      cursor = page.next;
      more.hidden = !cursor;
      status.replaceChildren(body.children.length ? '' : h('p', { class: 'empty' }, 'No user.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load users: ${errorText(e)}`, () => void load()));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
