// /statements — an organisation's statement of a month: its lines, subtotal,
// VAT and total, whether the month is closed (then it never changes), a Print
// button (print CSS leaves out everything but the statement), links to the
// printable page and the CSV; for the open month, the forecast of its end if what
// runs now keeps running. For org-admins and operators.
import { billingTabs } from '../components/billingTabs';
import { errorText } from '../api';
import { billing, currentMonth, money, type Forecast, type Statement } from '../billing';
import { organisationChoices, orgSelect } from '../components/orgPicker';
import { failure, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';

export async function statementsPage({ root, query, signal }: PageContext): Promise<void> {
  const title = heading('Statements');
  title.classList.add('no-print');
  root.append(
    title,
    billingTabs('/statements'),
    h('p', { class: 'muted no-print' }, 'One statement per calendar month (UTC). A month that has ended is closed: its statement is kept as it was and never changes; corrections appear on a later month.'),
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
      { class: 'card no-print' },
      h(
        'div',
        { class: 'controls' },
        h('div', { class: 'field' }, h('label', { for: 'statement-organisation' }, 'Organisation'), orgSel),
        h('div', { class: 'field' }, h('label', { for: 'statement-month' }, 'Month (UTC)'), monthIn),
      ),
    ),
    box,
  );

  const forecastBox = h('div', { id: 'forecast-box' });

  const drawForecast = (f: Forecast) => {
    const m = (n: number) => `${money(n, f.currencyDigits)} ${f.currency}`;
    forecastBox.replaceChildren(
      h(
        'section',
        { class: 'card no-print', id: 'forecast', 'aria-labelledby': 'forecast-heading' },
        h('h2', { id: 'forecast-heading' }, `Forecast for the end of ${f.month}`),
        h(
          'p',
          { class: 'muted' },
          `If what runs now keeps running for the ${f.hoursLeft} hours left (until ${f.to}, UTC): the month so far plus what runs now, priced by ${f.plan.name}.`,
        ),
        f.runningNow.length
          ? h('p', { id: 'forecast-running' }, 'Running now: ', f.runningNow.map((r) => `${r.quantity} ${r.description}`).join(', '), '.')
          : h('p', { id: 'forecast-running' }, 'Nothing runs now: only what was used so far and the fixed lines.'),
        h(
          'table',
          { class: 'table', id: 'forecast-lines' },
          h('thead', null, h('tr', null, h('th', null, 'Description'), h('th', { class: 'num' }, 'So far'), h('th', { class: 'num' }, 'At the month’s end'))),
          h(
            'tbody',
            null,
            f.lines.map((l) =>
              h('tr', { 'data-kind': l.kind, 'data-unit': l.unit ?? '' }, h('td', null, l.kind === 'usage' ? l.description.split(':')[0] : l.description), h('td', { class: 'num' }, m(l.soFar)), h('td', { class: 'num', 'data-amount': l.amount }, m(l.amount))),
            ),
          ),
          h(
            'tfoot',
            null,
            h('tr', null, h('td', null, 'Subtotal'), h('td', { class: 'num' }, m(f.soFar.subtotal)), h('td', { class: 'num', id: 'forecast-subtotal' }, m(f.subtotal))),
            h('tr', null, h('td', null, `VAT ${money(f.vatRate, 2)} %`), h('td', { class: 'num' }, m(f.soFar.vat)), h('td', { class: 'num', id: 'forecast-vat' }, m(f.vat))),
            h('tr', null, h('td', null, 'Total'), h('td', { class: 'num', id: 'forecast-so-far' }, m(f.soFar.total)), h('td', { class: 'num', id: 'forecast-total' }, m(f.total))),
          ),
        ),
      ),
    );
  };

  const loadForecast = async () => {
    forecastBox.replaceChildren(loading('Loading the forecast…'));
    try {
      const f = await billing.forecast(orgSel.value);
      if (!signal.aborted) drawForecast(f);
    } catch (e) {
      if (!signal.aborted) forecastBox.replaceChildren(failure(`No forecast: ${errorText(e)}`, () => void loadForecast()));
    }
  };

  const draw = (s: Statement) => {
    const m = (n: number) => `${money(n, s.currencyDigits)} ${s.currency}`;
    box.replaceChildren(
      h(
        'section',
        { class: 'card statement-card' },
        h('h2', { id: 'statement-heading' }, `Statement ${s.month}: ${choices.find((c) => c.id === s.organisation)?.label ?? s.organisation}`),
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
          { class: 'actions no-print' },
          h('button', { type: 'button', id: 'statement-print-button', onclick: () => window.print() }, 'Print'),
          h('a', { href: billing.statementPageUrl(s.organisation, s.month), target: '_blank', rel: 'noopener', id: 'statement-print' }, 'Printable page'),
          h('a', { href: billing.statementCsvUrl(s.organisation, s.month), download: `statement-${s.month}.csv`, id: 'statement-csv' }, 'CSV for invoicing'),
        ),
      ),
      forecastBox,
    );
    if (s.closed) forecastBox.replaceChildren();
    else void loadForecast();
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
