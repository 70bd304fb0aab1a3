// /statements — an organisation's statement of a month: its lines, subtotal,
// VAT and total, whether the month is closed (then it never changes), and links
// to the printable page and the CSV. For org-admins and operators.
import { billingTabs } from '../components/billingTabs';
import { errorText } from '../api';
import { billing, currentMonth, money, type Statement } from '../billing';
import { organisationChoices, orgSelect } from '../components/orgPicker';
import { failure, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';

export async function statementsPage({ root, query, signal }: PageContext): Promise<void> {
  root.append(
    heading('Statements'),
    billingTabs('/statements'),
    h('p', { class: 'muted' }, 'One statement per calendar month (UTC). A month that has ended is closed: its statement is kept as it was and never changes; corrections appear on a later month.'),
  );
  const choices = await organisationChoices('org-admin').catch(() => []);
  if (!choices.length) {
    root.append(h('p', { class: 'empty', id: 'statements-none' }, 'Statements are for the administrators of an organisation.'));
    return;
  }
  const orgSel = orgSelect(choices, query.get('organisation'), 'statement-organisation');
  const monthIn = h('input', { type: 'month', id: 'statement-month', value: query.get('month') ?? currentMonth() });
  const box = h('div', { id: 'statement' });
  root.append(
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'controls' },
        h('div', { class: 'field' }, h('label', { for: 'statement-organisation' }, 'Organisation'), orgSel),
        h('div', { class: 'field' }, h('label', { for: 'statement-month' }, 'Month (UTC)'), monthIn),
      ),
    ),
    box,
  );

  const draw = (s: Statement) => {
    const m = (n: number) => `${money(n, s.currencyDigits)} ${s.currency}`;
    box.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h(
          'p',
          null,
          h('span', { class: `badge ${s.closed ? 'status-ready' : ''}`, id: 'statement-state' }, s.closed ? 'closed' : 'open'),
          ' ',
          s.closed ? `Closed ${s.closedAt ?? ''}; it never changes.` : 'The month is still running: amounts so far.',
          ` Price plan: ${s.plan.name}.`,
        ),
        h(
          'table',
          { class: 'table', id: 'statement-lines' },
          h('thead', null, h('tr', null, h('th', null, 'Description'), h('th', { class: 'num' }, 'Quantity'), h('th', null, 'Unit'), h('th', { class: 'num' }, 'Unit price'), h('th', { class: 'num' }, 'Amount'))),
          h(
            'tbody',
            null,
            s.lines.map((l) =>
              h('tr', { 'data-kind': l.kind }, h('td', null, l.description), h('td', { class: 'num' }, l.quantity), h('td', null, l.quantityUnit), h('td', { class: 'num' }, m(l.unitPrice)), h('td', { class: 'num' }, m(l.amount))),
            ),
          ),
          h(
            'tfoot',
            null,
            h('tr', null, h('td', { colspan: 4 }, 'Subtotal'), h('td', { class: 'num' }, m(s.subtotal))),
            h('tr', null, h('td', { colspan: 4 }, `VAT ${money(s.vatRate, 2)} %`), h('td', { class: 'num' }, m(s.vat))),
            h('tr', null, h('td', { colspan: 4 }, 'Total'), h('td', { class: 'num', id: 'statement-total' }, m(s.total))),
          ),
        ),
        h(
          'div',
          { class: 'actions' },
          h('a', { href: billing.statementPageUrl(s.organisation, s.month), target: '_blank', rel: 'noopener', id: 'statement-print' }, 'Printable page'),
          h('a', { href: billing.statementCsvUrl(s.organisation, s.month), download: `statement-${s.month}.csv`, id: 'statement-csv' }, 'CSV for invoicing'),
        ),
      ),
    );
  };

  const load = async () => {
    if (!monthIn.value) return;
    box.replaceChildren(loading('Loading the statement…'));
    try {
      const s = await billing.statement(orgSel.value, monthIn.value);
      if (signal.aborted) return;
      session.setCurrentOrganisation(orgSel.value);
      draw(s);
    } catch (e) {
      if (!signal.aborted) box.replaceChildren(failure(`No statement: ${errorText(e)}`, () => void load()));
    }
  };
  orgSel.addEventListener('change', () => void load());
  monthIn.addEventListener('change', () => void load());
  await load();
}
