// The organisation a billing page is about: the person's own organisations (for
// operators every organisation), chosen with a select; remembers the choice
// through the session's current organisation.
import { api } from '../api';
import { h } from '../dom';
import * as session from '../session';

export interface OrgChoice {
  id: string;
  label: string;
  role: string;
}

export async function organisationChoices(minRole: 'viewer' | 'org-admin'): Promise<OrgChoice[]> {
  if (session.can('operator')) {
    const all = await api.allOrganisations();
    return all.map((o) => ({ id: o.id, label: o.displayName || o.name, role: 'operator' }));
  }
  return session
    .memberships()
    .filter((m) => minRole === 'viewer' || m.role === 'org-admin')
    .map((m) => ({ id: m.id, label: m.displayName || m.name, role: String(m.role) }));
}

/** A labelled select of `choices`; `chosen` is preselected (else the current organisation). */
export function orgSelect(choices: OrgChoice[], chosen: string | null, id: string): HTMLSelectElement {
  const current = chosen ?? session.currentOrganisation();
  const select = h('select', { id, name: 'organisation' });
  select.append(...choices.map((c) => h('option', { value: c.id, selected: c.id === current }, c.label)));
  return select;
}
