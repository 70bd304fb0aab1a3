// What an organisation's administrator manages on its page: people and their
// roles, invitations, domains, its name and rules, and deleting it.
import { api, ApiError, errorText } from '../api';
import { busy, copyField, failure, formatDate, h, loading } from '../dom';
import { field, FormErrors } from '../forms';
import { navigate } from '../router';
import * as session from '../session';
import type { Invitation, Member, Organisation, OrgDomain } from '../types';
import { ORG_ROLES, roleHelp, roleLabel } from '../words';

function roleSelect(value: string, attrs: Record<string, string> = {}): HTMLSelectElement {
  const select = h('select', { class: 'role-select', ...attrs });
  for (const r of ORG_ROLES) select.append(h('option', { value: r, selected: r === value, title: roleHelp(r) }, roleLabel(r)));
  return select;
}

/** "Member: creates, changes and deploys apps", kept next to a role select. */
function roleExplained(select: HTMLSelectElement): HTMLElement {
  const text = h('span');
  const draw = () => (text.textContent = `${roleLabel(select.value)}: ${roleHelp(select.value)}.`);
  select.addEventListener('change', draw);
  draw();
  return text;
}

function rowError(): HTMLElement {
  return h('p', { class: 'field-error', role: 'alert', hidden: true });
}

function showRowError(el: HTMLElement, e: unknown): void {
  el.textContent = errorText(e);
  el.hidden = false;
}

// ---- members ----------------------------------------------------------------

export function membersCard(org: Organisation, signal: AbortSignal): { element: HTMLElement; load: () => Promise<void> } {
  const list = h('ul', { class: 'list', id: 'members' });
  const status = h('div', null, loading('Loading members…'));
  const myId = session.user()?.id;

  function row(m: Member): HTMLElement {
    const error = rowError();
    const select = roleSelect(m.role, { 'aria-label': `Role of ${m.email}`, 'data-test': 'member-role' });
    let role = m.role;
    select.addEventListener('change', async () => {
      error.hidden = true;
      select.disabled = true;
      try {
        await api.setMemberRole(org.id, m.id, select.value);
        role = select.value;
        li.dataset.role = role;
        if (m.id === myId) await session.refresh();
      } catch (e) {
        select.value = role; // as it still is
        showRowError(error, e);
      } finally {
        select.disabled = false;
      }
    });
    const remove = h('button', { type: 'button', class: 'button-danger-quiet small' }, m.id === myId ? 'Leave' : 'Remove');
    remove.setAttribute('aria-label', m.id === myId ? `Leave ${org.displayName || org.name}` : `Remove ${m.email}`);
    remove.addEventListener('click', () =>
      busy(remove, 'Removing…', async () => {
        error.hidden = true;
        try {
          await api.removeMember(org.id, m.id);
          li.remove();
          if (m.id === myId) {
            await session.refresh();
            navigate(session.homePath());
          }
        } catch (e) {
          showRowError(error, e);
        }
      }),
    );
    const li = h(
      'li',
      { class: 'list-row member', 'data-member': m.id, 'data-email': m.email, 'data-role': m.role },
      h('div', null, h('strong', null, m.email), m.id === myId ? h('span', { class: 'muted small' }, ' (you)') : null, error),
      h('div', { class: 'row-actions' }, select, remove),
    );
    return li;
  }

  async function load(): Promise<void> {
    try {
      const members = await api.members(org.id);
      if (signal.aborted) return;
      list.replaceChildren(...members.map(row));
      status.replaceChildren(members.length ? '' : h('p', { class: 'empty' }, 'No one yet: invite people below.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load the members: ${errorText(e)}`, () => void load()));
    }
  }

  const element = h(
    'section',
    { class: 'card', id: 'members-card' },
    h('h2', null, 'People'),
    h('p', { class: 'muted' }, 'Who works in this organisation and what each may do. An organisation always keeps at least one administrator.'),
    list,
    status,
  );
  return { element, load };
}

// ---- invitations ------------------------------------------------------------

export function invitationsCard(org: Organisation, signal: AbortSignal): HTMLElement {
  const errors = new FormErrors();
  errors.top.id = 'invite-error';
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'off', placeholder: 'name@example.org', required: true });
  const role = roleSelect('member', { name: 'role' });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Invite');
  const sent = h('div', { id: 'invitation-sent' });
  const list = h('ul', { class: 'list', id: 'invitations' });
  const status = h('div');

  function row(inv: Invitation): HTMLElement {
    const error = rowError();
    const revoke = h('button', { type: 'button', class: 'button-danger-quiet small' }, 'Withdraw');
    revoke.setAttribute('aria-label', `Withdraw the invitation of ${inv.email}`);
    revoke.addEventListener('click', () =>
      busy(revoke, 'Withdrawing…', async () => {
        try {
          await api.revokeInvitation(org.id, inv.id);
          li.remove();
          if (!list.children.length) status.replaceChildren(h('p', { class: 'empty' }, 'No invitation waiting.'));
        } catch (e) {
          showRowError(error, e);
        }
      }),
    );
    const li = h(
      'li',
      { class: 'list-row', 'data-invitation': inv.id, 'data-email': inv.email },
      h(
        'div',
        null,
        h('strong', null, inv.email),
        ` as ${roleLabel(inv.role)}`,
        h('div', { class: 'muted small' }, inv.expiresAt ? `link valid until ${formatDate(inv.expiresAt)}` : ''),
        error,
      ),
      revoke,
    );
    return li;
  }

  async function load(): Promise<void> {
    try {
      const items = (await api.invitations(org.id)).filter((i) => i.state === 'pending');
      if (signal.aborted) return;
      list.replaceChildren(...items.map(row));
      status.replaceChildren(items.length ? '' : h('p', { class: 'empty' }, 'No invitation waiting.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load the invitations: ${errorText(e)}`, () => void load()));
    }
  }

  const form = h(
    'form',
    { novalidate: true, id: 'invite-form' },
    errors.top,
    h(
      'div',
      { class: 'row' },
      field({ label: 'E-mail address', control: email, path: 'email', errors, required: true }),
      field({ label: 'Role', control: role, path: 'role', errors, help: roleExplained(role) }),
    ),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    sent.replaceChildren();
    const to = email.value.trim();
    if (!to) return errors.showAt('email', 'Enter the address of the person to invite.');
    void busy(submit, 'Inviting…', async () => {
      try {
        const inv = await api.invite(org.id, { email: to, role: role.value });
        email.value = '';
        sent.replaceChildren(
          h(
            'div',
            { class: 'banner banner-ok', role: 'status' },
            h('h3', null, `${to} is invited as ${roleLabel(inv.role || role.value)}`),
            h(
              'p',
              null,
              inv.mailed
                ? `We sent the link by e-mail. You can also pass it on yourself: `
                : `This server does not send e-mail: send this link to ${to} yourself (by mail, chat…). `,
              `It works once${inv.expiresAt ? `, until ${formatDate(inv.expiresAt)}` : ''}.`,
            ),
            copyField(inv.url ?? '', 'Invitation link', { 'data-test': 'invitation-url', id: 'invitation-url' }),
          ),
        );
        await load();
      } catch (e) {
        errors.show(e);
      }
    });
  });

  void load();
  return h(
    'section',
    { class: 'card', id: 'invitations-card' },
    h('h2', null, 'Invite someone'),
    h('p', { class: 'muted' }, 'They get a link to join: new people choose a password, people with an account just join.'),
    form,
    sent,
    h('h3', null, 'Waiting for an answer'),
    list,
    status,
  );
}

// ---- domains ------------------------------------------------------------------

const NOT_YET = 'The record is not visible yet. New records can take up to an hour to appear: try again later.';

export function domainsCard(org: Organisation, signal: AbortSignal): HTMLElement {
  const errors = new FormErrors();
  const domain = h('input', { type: 'text', name: 'domain', placeholder: 'school.example', autocapitalize: 'off', spellcheck: 'false', inputmode: 'url', required: true });
  const submit = h('button', { type: 'submit' }, 'Add domain');
  const list = h('ul', { class: 'list', id: 'domains' });
  const status = h('div', null, loading('Loading domains…'));

  function row(d: OrgDomain): HTMLElement {
    const error = rowError();
    const li = h('li', { class: 'domain', 'data-domain': d.domain, 'data-verified': String(d.verified) });
    const draw = (x: OrgDomain) => {
      li.dataset.verified = String(x.verified);
      const remove = h('button', { type: 'button', class: 'button-danger-quiet small' }, 'Remove');
      remove.setAttribute('aria-label', `Remove ${x.domain}`);
      remove.addEventListener('click', () =>
        busy(remove, 'Removing…', async () => {
          try {
            await api.removeDomain(org.id, x.domain);
            li.remove();
            if (!list.children.length) status.replaceChildren(h('p', { class: 'empty' }, 'No domain of your own yet.'));
          } catch (e) {
            showRowError(error, e);
          }
        }),
      );
      const head = h(
        'div',
        { class: 'section-head' },
        h(
          'div',
          null,
          h('strong', null, x.domain),
          ' ',
          x.verified
            ? h('span', { class: 'badge status-ready', 'data-test': 'domain-status' }, 'verified')
            : h('span', { class: 'badge status-new', 'data-test': 'domain-status' }, 'waiting for the DNS record'),
        ),
        remove,
      );
      if (x.verified) {
        li.replaceChildren(
          head,
          h('p', { class: 'muted small' }, `Deployments of ${org.displayName || org.name} can use ${x.domain} and every name in it${x.verifiedAt ? ` (proved ${formatDate(x.verifiedAt)})` : ''}.`),
          error,
        );
        return;
      }
      const check = h('button', { type: 'button', 'data-test': 'verify-domain' }, 'Check now');
      check.setAttribute('aria-label', `Check the DNS record of ${x.domain}`);
      check.addEventListener('click', () =>
        busy(check, 'Checking…', async () => {
          error.hidden = true;
          try {
            const fresh = await api.verifyDomain(org.id, x.domain);
            // an answer without the domain (204) means done; one with it says whether
            const verified = fresh.domain ? fresh.verified : true;
            if (!verified) throw new Error(NOT_YET);
            draw({ ...x, verified, verifiedAt: fresh.verifiedAt ?? null });
          } catch (e) {
            showRowError(error, e instanceof ApiError && !e.detail ? new Error(NOT_YET) : e);
          }
        }),
      );
      li.replaceChildren(
        head,
        h('p', null, `To show that ${x.domain} is yours, add this record where its DNS is managed (usually the company you bought the domain from):`),
        h(
          'dl',
          { class: 'facts dns-record', 'data-test': 'dns-record' },
          h('dt', null, 'Type'),
          h('dd', null, h('code', null, x.challenge.type)),
          h('dt', null, 'Name'),
          h('dd', null, copyField(x.challenge.name, `Name of the record for ${x.domain}`, { 'data-test': 'challenge-name' })),
          h('dt', null, 'Value'),
          h('dd', null, copyField(x.challenge.value, `Value of the record for ${x.domain}`, { 'data-test': 'challenge-value' })),
        ),
        h('p', { class: 'muted small' }, 'Some providers want only the first part of the name (“_fedihost-challenge”). A new record can take a few minutes, sometimes an hour, to be seen. Then press Check now.'),
        h('div', { class: 'actions' }, check),
        error,
      );
    };
    draw(d);
    return li;
  }

  async function load(): Promise<void> {
    try {
      const items = await api.domains(org.id);
      if (signal.aborted) return;
      list.replaceChildren(...items.map(row));
      status.replaceChildren(items.length ? '' : h('p', { class: 'empty' }, 'No domain of your own yet.'));
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load the domains: ${errorText(e)}`, () => void load()));
    }
  }

  const form = h(
    'form',
    { novalidate: true, id: 'domain-form' },
    errors.top,
    field({ label: 'Your domain', control: domain, path: 'domain', errors, required: true, help: 'For example school.example: then video.school.example and any other name in it can be used.' }),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    const d = domain.value.trim().toLowerCase().replace(/\.$/, '');
    if (!d) return errors.showAt('domain', 'Enter a domain, such as school.example.');
    void busy(submit, 'Adding…', async () => {
      try {
        const added = await api.addDomain(org.id, d);
        domain.value = '';
        status.replaceChildren();
        list.querySelector(`[data-domain="${CSS.escape(added.domain)}"]`)?.remove();
        list.append(row(added));
      } catch (e) {
        errors.show(e);
      }
    });
  });

  void load();
  return h(
    'section',
    { class: 'card', id: 'domains-card' },
    h('h2', null, 'Domains'),
    h(
      'p',
      { class: 'muted' },
      'Your deployments can use a free address under the provider’s domain, or your own domain once you have shown it is yours by adding one DNS record.',
    ),
    list,
    status,
    form,
  );
}

// ---- name, rules, deletion ------------------------------------------------------------

export function settingsCard(org: Organisation, onChanged: (org: Organisation) => void): HTMLElement {
  const errors = new FormErrors();
  const name = h('input', { type: 'text', name: 'displayName', autocomplete: 'organization', required: true });
  name.value = org.displayName || org.name;
  const save = h('button', { type: 'submit' }, 'Rename');
  const saved = h('p', { class: 'notice notice-ok', role: 'status', hidden: true });
  const rename = h(
    'form',
    { novalidate: true, id: 'rename-form' },
    errors.top,
    field({ label: 'Name', control: name, path: 'displayName', errors, required: true, help: `As people know it. The short name ${org.name} stays.` }),
    h('div', { class: 'actions' }, save),
    saved,
  );
  rename.addEventListener('submit', (ev) => {
    ev.preventDefault();
    errors.clear();
    saved.hidden = true;
    if (!name.value.trim()) return errors.showAt('displayName', 'Enter a name.');
    void busy(save, 'Saving…', async () => {
      try {
        const updated = await api.updateOrganisation(org.id, { displayName: name.value.trim() });
        org = { ...org, ...updated };
        saved.textContent = `Renamed to ${org.displayName || name.value.trim()}.`;
        saved.hidden = false;
        onChanged(org);
        void session.refresh().catch(() => null);
      } catch (e) {
        errors.show(e);
      }
    });
  });

  const totpErrors = new FormErrors();
  const requireBox = h('input', { type: 'checkbox', name: 'requireTotp', id: 'require-totp', checked: !!org.requireTotp });
  const totpSaved = h('p', { class: 'muted small', role: 'status' });
  requireBox.addEventListener('change', async () => {
    totpErrors.clear();
    totpSaved.textContent = '';
    requireBox.disabled = true;
    const want = requireBox.checked;
    try {
      const updated = await api.updateOrganisation(org.id, { requireTotp: want });
      org = { ...org, ...updated, requireTotp: updated?.requireTotp ?? want };
      totpSaved.textContent = want
        ? 'Saved: members without a second factor are asked to set one up before they can go on.'
        : 'Saved: a second factor is now up to each member.';
      onChanged(org);
      void session.refresh().catch(() => null);
    } catch (e) {
      requireBox.checked = !want;
      totpErrors.show(e);
    } finally {
      requireBox.disabled = false;
    }
  });
  const rules = h(
    'div',
    { id: 'require-totp-area' },
    totpErrors.top,
    field({
      label: 'Everyone must use a second factor',
      control: requireBox,
      path: 'requireTotp',
      errors: totpErrors,
      inline: true,
      help: 'Members then log in with a code from an app on their phone as well as their password.',
    }),
    totpSaved,
  );

  return h('section', { class: 'card', id: 'organisation-settings' }, h('h2', null, 'Organisation'), rename, h('h3', null, 'Second factor'), rules);
}

export function deleteCard(org: Organisation): HTMLElement {
  const start = h('button', { type: 'button', class: 'button-danger-quiet', id: 'delete-organisation' }, 'Delete this organisation…');
  const box = h('div', { class: 'confirm', hidden: true, id: 'delete-organisation-confirm', role: 'alertdialog', 'aria-labelledby': 'delete-org-title' });
  start.addEventListener('click', () => {
    const errors = new FormErrors();
    const typed = h('input', { type: 'text', name: 'confirm', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
    const yes = h('button', { type: 'submit', class: 'button-danger', disabled: true }, `Delete ${org.displayName || org.name}`);
    const no = h('button', { type: 'button', class: 'button-quiet' }, 'Cancel');
    no.addEventListener('click', () => {
      box.hidden = true;
      start.hidden = false;
      start.focus();
    });
    typed.addEventListener('input', () => (yes.disabled = typed.value.trim() !== org.name));
    const form = h(
      'form',
      { novalidate: true },
      h('p', { id: 'delete-org-title' }, h('strong', null, `Delete ${org.displayName || org.name}?`), ' Its people lose access, its invitations and domains go. It cannot be undone.'),
      errors.top,
      field({ label: `Type ${org.name} to confirm`, control: typed, path: 'confirm', errors }),
      h('div', { class: 'actions' }, yes, no),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      errors.clear();
      if (typed.value.trim() !== org.name) return errors.showAt('confirm', `Type ${org.name} exactly.`);
      void busy(yes, 'Deleting…', async () => {
        try {
          await api.deleteOrganisation(org.id);
          await session.refresh().catch(() => null);
          navigate(session.isOperator() ? '/organisations' : session.homePath(), { replace: true });
        } catch (e) {
          if (e instanceof ApiError && e.status === 409) {
            errors.showAt(
              '',
              'It still has deployments. Delete each of them first (on its page, “Delete deployment…”), wait until they show “deleted”, then delete the organisation.',
            );
            return;
          }
          errors.show(e);
        }
      }).finally(() => (yes.disabled = typed.value.trim() !== org.name));
    });
    box.replaceChildren(form);
    box.hidden = false;
    start.hidden = true;
    typed.focus();
  });
  return h(
    'section',
    { class: 'card danger-zone', id: 'danger-zone' },
    h('h2', null, 'Delete the organisation'),
    h('p', { class: 'muted' }, 'Only an organisation without deployments can be deleted.'),
    start,
    box,
  );
}
