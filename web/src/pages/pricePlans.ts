// /price-plans — for the provider's staff: the price plans, a form to define
// one (money in the currency's major units, converted exactly to minor units),
// and giving an organisation a plan.
import { billingTabs } from '../components/billingTabs';
import { api, errorText } from '../api';
import { billing, money, parseMoney, UNITS, type PricePlan } from '../billing';
import { busy, failure, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import { operatorOnly } from './users';

const DIGITS: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3 };

export async function pricePlansPage({ root, signal }: PageContext): Promise<void> {
  if (operatorOnly(root, 'Price plans')) return;
  root.append(
    heading('Price plans'),
    billingTabs('/price-plans'),
    h('p', { class: 'muted' }, 'Prices are per unit and month (a vCPU all month costs exactly its price), billed pro rata by the second; each line is rounded half up to a cent. A changed plan changes open months only.'),
  );
  const list = h('div', { id: 'price-plans' }, loading('Loading price plans…'));
  const assignBox = h('div');
  root.append(h('section', { class: 'card' }, h('h2', null, 'Plans'), list));

  let plans: PricePlan[] = [];
  const drawList = () => {
    if (!plans.length) {
      list.replaceChildren(h('p', { class: 'empty' }, 'No price plan yet.'));
      return;
    }
    list.replaceChildren(
      h(
        'table',
        { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Currency'), h('th', { class: 'num' }, 'Base fee / month'), h('th', { class: 'num' }, 'VAT'), h('th', null, 'Prices per unit-month'), h('th', null, 'Included'))),
        h(
          'tbody',
          null,
          plans.map((p) =>
            h(
              'tr',
              { 'data-plan': p.id },
              h('td', null, h('strong', null, p.name), h('div', { class: 'small muted' }, p.id)),
              h('td', null, p.currency),
              h('td', { class: 'num' }, money(p.baseFee, p.currencyDigits)),
              h('td', { class: 'num' }, `${money(p.vatRate, 2)} %`),
              h('td', { class: 'small' }, Object.entries(p.prices).map(([u, v]) => `${u} ${money(v, p.currencyDigits)}`).join(', ') || '—'),
              h('td', { class: 'small' }, Object.entries(p.included).map(([u, v]) => `${u} ${v}`).join(', ') || '—'),
            ),
          ),
        ),
      ),
    );
  };

  // -- define a plan --
  const err = h('div', { role: 'alert' });
  const name = h('input', { id: 'plan-name', required: true, maxlength: 100 });
  const currency = h('input', { id: 'plan-currency', value: 'EUR', maxlength: 3, size: 4, pattern: '[A-Z]{3}' });
  const baseFee = h('input', { id: 'plan-base-fee', value: '0.00', inputmode: 'decimal' });
  const vat = h('input', { id: 'plan-vat', value: '0', inputmode: 'decimal', title: 'per cent, e.g. 19 or 7.7' });
  const priceInputs = UNITS.map((u) => ({ unit: u, price: h('input', { id: `plan-price-${u.key}`, inputmode: 'decimal', placeholder: '0.00' }), included: h('input', { id: `plan-included-${u.key}`, inputmode: 'numeric', placeholder: '0' }) }));
  const submit = h('button', { type: 'submit', id: 'plan-create' }, 'Create plan');
  const form = h(
    'form',
    { class: 'card', id: 'plan-form' },
    h('h2', null, 'New price plan'),
    h(
      'div',
      { class: 'controls' },
      h('div', { class: 'field' }, h('label', { for: 'plan-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'plan-currency' }, 'Currency (ISO 4217)'), currency),
      h('div', { class: 'field' }, h('label', { for: 'plan-base-fee' }, 'Base fee per month'), baseFee),
      h('div', { class: 'field' }, h('label', { for: 'plan-vat' }, 'VAT %'), vat),
    ),
    h(
      'table',
      { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, 'Unit'), h('th', null, 'Price per unit-month'), h('th', null, 'Included unit-months'))),
      h('tbody', null, priceInputs.map((p) => h('tr', null, h('td', null, p.unit.label), h('td', null, p.price), h('td', null, p.included)))),
    ),
    err,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    const cur = currency.value.trim().toUpperCase();
    const digits = DIGITS[cur] ?? 2;
    const bad = (what: string) => err.replaceChildren(failure(what));
    const fee = parseMoney(baseFee.value || '0', digits);
    if (fee === null || fee < 0) return bad(`The base fee must be an amount like 10.00 (at most ${digits} decimals).`);
    const vatBp = parseMoney(vat.value || '0', 2);
    if (vatBp === null || vatBp < 0 || vatBp > 10000) return bad('VAT must be a percentage between 0 and 100, with at most 2 decimals.');
    const prices: Record<string, number> = {};
    const included: Record<string, number> = {};
    for (const p of priceInputs) {
      if (p.price.value.trim()) {
        const v = parseMoney(p.price.value, digits);
        if (v === null || v < 0) return bad(`The price of ${p.unit.label} must be an amount like 5.00.`);
        if (v) prices[p.unit.key] = v;
      }
      if (p.included.value.trim()) {
        const n = Number(p.included.value);
        if (!Number.isInteger(n) || n < 0) return bad(`The included quantity of ${p.unit.label} must be a whole number.`);
        if (n) included[p.unit.key] = n;
      }
    }
    void busy(submit, 'Creating…', async () => {
      try {
        const plan = await billing.createPlan({ name: name.value.trim(), currency: cur, baseFee: fee, vatRate: vatBp, prices, included });
        plans = [...plans, plan].sort((a, b) => a.name.localeCompare(b.name));
        drawList();
        void drawAssign();
        form.reset();
      } catch (e) {
        bad(errorText(e));
      }
    });
  });
  root.append(form, assignBox);

  // -- give an organisation a plan --
  const drawAssign = async () => {
    if (!plans.length) {
      assignBox.replaceChildren();
      return;
    }
    const orgs = await api.allOrganisations().catch(() => []);
    const orgSel = h('select', { id: 'assign-organisation' }, orgs.map((o) => h('option', { value: o.id }, o.displayName || o.name)));
    const planSel = h('select', { id: 'assign-plan' }, plans.map((p) => h('option', { value: p.id }, p.name)));
    const note = h('div', { role: 'status', class: 'small' });
    const btn = h('button', { type: 'button', id: 'assign-button' }, 'Assign');
    btn.addEventListener('click', () =>
      busy(btn, 'Assigning…', async () => {
        try {
          const r = await billing.assignPlan(orgSel.value, planSel.value);
          note.replaceChildren(`${orgSel.selectedOptions[0]?.textContent ?? ''} now has the plan ${r.plan.name}.`);
        } catch (e) {
          note.replaceChildren(failure(errorText(e)));
        }
      }),
    );
    assignBox.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Give an organisation a plan'),
        h('p', { class: 'small muted' }, 'It applies to every month not yet closed.'),
        h(
          'div',
          { class: 'controls' },
          h('div', { class: 'field' }, h('label', { for: 'assign-organisation' }, 'Organisation'), orgSel),
          h('div', { class: 'field' }, h('label', { for: 'assign-plan' }, 'Plan'), planSel),
          h('div', { class: 'field' }, btn),
        ),
        note,
      ),
    );
  };

  try {
    plans = await billing.plans();
    if (signal.aborted) return;
    drawList();
    await drawAssign();
  } catch (e) {
    if (!signal.aborted) list.replaceChildren(failure(`Could not load price plans: ${errorText(e)}`));
  }
}
