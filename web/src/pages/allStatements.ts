// /billing/organisations — for operators: every organisation's statement of a month
// (its total, and for the open month the forecast of its end), each linking to the
// statement, and the totals per currency (GET /api/v1/statements?month=).
import { billingTabs } from '../components/billingTabs';
import { errorText } from '../api';
import { billing, currentMonth, money, type StatementTotals } from '../billing';
import { failure, h, heading, link, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';

export async function allStatementsPage({ root, query, signal }: PageContext): Promise<void> {
  root.append(heading('All organisations'), billingTabs('/billing/organisations'));
  if (!session.can('operator')) {
    root.append(h('p', { class: 'empty' }, 'The statements of every organisation are for operators.'));
    return;
  }
  const monthIn = h('input', { type: 'month', id: 'all-statements-month', value: query.get('month') ?? currentMonth() });
  const box = h('div', { id: 'all-statements-box' });
  root.append(
    h('p', { class: 'muted' }, 'Every organisation’s statement of the month (UTC); for the month still running, the total so far and the forecast of its end if what runs now keeps running.'),
    h('section', { class: 'card' }, h('div', { class: 'controls' }, h('div', { class: 'field' }, h('label', { for: 'all-statements-month' }, 'Month (UTC)'), monthIn))),
    box,
  );

  const draw = (t: StatementTotals) => {
    const statementLink = (id: string, text: string) => link(`/statements?organisation=${encodeURIComponent(id)}&month=${encodeURIComponent(t.month)}`, text);
    box.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h('h2', null, `Statements of ${t.month}`, t.open ? ' (open: so far)' : ''),
        h(
          'table',
          { class: 'table', id: 'all-statements' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, 'Organisation'), h('th', null, 'Price plan'), h('th', { class: 'num' }, 'Subtotal'), h('th', { class: 'num' }, 'VAT'), h('th', { class: 'num' }, t.open ? 'Total so far' : 'Total'), t.open ? h('th', { class: 'num' }, 'Forecast') : null),
          ),
          h(
            'tbody',
            null,
            t.items.map((i) => {
              const s = i.statement;
              const m = (n: number) => (s ? `${money(n, s.currencyDigits)} ${s.currency}` : '');
              const name = i.organisation.displayName || i.organisation.name;
              return h(
                'tr',
                { 'data-organisation': i.organisation.id },
                h('td', null, statementLink(i.organisation.id, name)),
                s
                  ? [
                      h('td', null, i.plan?.name ?? ''),
                      h('td', { class: 'num' }, m(s.subtotal)),
                      h('td', { class: 'num' }, m(s.vat)),
                      h('td', { class: 'num', 'data-total': s.total }, m(s.total)),
                      t.open ? h('td', { class: 'num', 'data-forecast': i.forecast?.total ?? '' }, i.forecast ? m(i.forecast.total) : '') : null,
                    ]
                  : h('td', { colspan: t.open ? 5 : 4, class: 'muted' }, 'No price plan: no statement'),
              );
            }),
          ),
        ),
        h('h3', null, 'Totals'),
        t.totals.length
          ? h(
              'table',
              { class: 'table', id: 'all-statements-totals' },
              h('thead', null, h('tr', null, h('th', null, 'Currency'), h('th', { class: 'num' }, 'Organisations'), h('th', { class: 'num' }, 'Subtotal'), h('th', { class: 'num' }, 'VAT'), h('th', { class: 'num' }, t.open ? 'Total so far' : 'Total'), t.open ? h('th', { class: 'num' }, 'Forecast') : null)),
              h(
                'tbody',
                null,
                t.totals.map((c) => {
                  const m = (n: number) => `${money(n, c.currencyDigits)} ${c.currency}`;
                  return h(
                    'tr',
                    { 'data-currency': c.currency },
                    h('td', null, c.currency),
                    h('td', { class: 'num' }, c.organisations),
                    h('td', { class: 'num' }, m(c.subtotal)),
                    h('td', { class: 'num' }, m(c.vat)),
                    h('td', { class: 'num', 'data-total': c.total }, m(c.total)),
                    t.open ? h('td', { class: 'num' }, c.forecast === null ? '' : m(c.forecast)) : null,
                  );
                }),
              ),
            )
          : h('p', { class: 'empty' }, 'No organisation has a price plan.'),
      ),
    );
  };

  const load = async () => {
    if (!monthIn.value) return;
    box.replaceChildren(loading('Loading the statements…'));
    try {
      const t = await billing.allStatements(monthIn.value, signal);
      if (!signal.aborted) draw(t);
    } catch (e) {
      if (!signal.aborted) box.replaceChildren(failure(`No statements: ${errorText(e)}`, () => void load()));
    }
  };
  monthIn.addEventListener('change', () => void load());
  await load();
}
