// /billing/organisations — for operators: every organisation's statement of a month
// (its total, and for the open month the forecast of its end), each linking to the
// statement, a page at a time (GET /api/v1/statements?month=&cursor=, "Show more"),
// and the totals per currency over every organisation (GET /api/v1/statements/totals),
// loaded beside the first page.
import { billingTabs } from '../components/billingTabs';
import { errorText } from '../api';
import { billing, currentMonth, money, type OrganisationStatement, type StatementTotals } from '../billing';
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

  const row = (month: string, open: boolean, i: OrganisationStatement) => {
    const s = i.statement;
    const m = (n: number) => (s ? `${money(n, s.currencyDigits)} ${s.currency}` : '');
    const name = i.organisation.displayName || i.organisation.name;
    return h(
      'tr',
      { 'data-organisation': i.organisation.id },
      h('td', null, link(`/statements?organisation=${encodeURIComponent(i.organisation.id)}&month=${encodeURIComponent(month)}`, name)),
      s
        ? [
            h('td', null, i.plan?.name ?? ''),
            h('td', { class: 'num' }, m(s.subtotal)),
            h('td', { class: 'num' }, m(s.vat)),
            h('td', { class: 'num', 'data-total': s.total }, m(s.total)),
            open ? h('td', { class: 'num', 'data-forecast': i.forecast?.total ?? '' }, i.forecast ? m(i.forecast.total) : '') : null,
          ]
        : h('td', { colspan: open ? 5 : 4, class: 'muted' }, i.existed === false ? 'Not a customer yet that month: no statement' : 'No price plan: no statement'),
    );
  };

  const totalsTable = (t: StatementTotals) => [
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
    h('p', { class: 'muted', id: 'all-statements-count' }, `Over ${t.organisations} ${t.organisations === 1 ? 'organisation' : 'organisations'}, ${t.withoutPlan} without a price plan.`),
  ];

  // Each choice of month starts over; answers for an earlier choice are dropped.
  let generation = 0;
  const load = () => {
    if (!monthIn.value) return;
    const mine = ++generation;
    const month = monthIn.value;
    const current = () => mine === generation && !signal.aborted;
    const title = h('h2', null, `Statements of ${month}`);
    const thead = h('thead');
    const tbody = h('tbody');
    const status = h('div', null, loading('Loading the statements…'));
    const more = h('button', { type: 'button', class: 'button-quiet', id: 'all-statements-more', hidden: true }, 'Show more');
    const totals = h('div', { id: 'all-statements-totals-box' }, loading('Adding up every organisation…'));
    box.replaceChildren(
      h('section', { class: 'card' }, title, h('table', { class: 'table', id: 'all-statements' }, thead, tbody), status, more, h('h3', null, 'Totals'), totals),
    );
    let cursor: string | null = null;
    const page = async () => {
      status.replaceChildren(loading('Loading the statements…'));
      more.hidden = true;
      try {
        const p = await billing.allStatements(month, cursor, signal);
        if (!current()) return;
        if (!thead.children.length) {
          title.append(p.open ? ' (open: so far)' : '');
          thead.append(
            h('tr', null, h('th', null, 'Organisation'), h('th', null, 'Price plan'), h('th', { class: 'num' }, 'Subtotal'), h('th', { class: 'num' }, 'VAT'), h('th', { class: 'num' }, p.open ? 'Total so far' : 'Total'), p.open ? h('th', { class: 'num' }, 'Forecast') : null),
          );
        }
        tbody.append(...p.items.map((i) => row(month, p.open, i)));
        cursor = p.next;
        more.hidden = !cursor;
        status.replaceChildren(tbody.children.length ? '' : h('p', { class: 'empty' }, 'No organisation yet.'));
      } catch (e) {
        if (current()) status.replaceChildren(failure(`No statements: ${errorText(e)}`, () => void page()));
      }
    };
    const sums = async () => {
      totals.replaceChildren(loading('Adding up every organisation…'));
      try {
        const t = await billing.statementTotals(month, signal);
        if (current()) totals.replaceChildren(...totalsTable(t));
      } catch (e) {
        if (current()) totals.replaceChildren(failure(`No totals: ${errorText(e)}`, () => void sums()));
      }
    };
    more.addEventListener('click', () => void page());
    return Promise.all([page(), sums()]);
  };
  monthIn.addEventListener('change', () => void load());
  await load();
}
