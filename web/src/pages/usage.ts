// /usage — what an organisation's deployments used, per UTC day, hour or month:
// a bar chart of one unit over time (SVG drawn by components/barChart.ts), the
// totals of every unit, the totals per deployment, and month by month (the last
// 12 months, or since the organisation exists) charts of machine-hours, bucket
// storage and mail accounts. Any role may see it.
import { billingTabs } from '../components/billingTabs';
import { api, errorText } from '../api';
import { billing, type Usage, type UsageQuantity, type UsageTotals } from '../billing';
import { barChart } from '../components/barChart';
import { organisationChoices, orgSelect } from '../components/orgPicker';
import { failure, h, heading, loading } from '../dom';
import type { PageContext } from '../router';
import * as session from '../session';

function quantity(t: UsageTotals | undefined, unit: string): UsageQuantity | undefined {
  const q = t?.[unit];
  return q && typeof (q as UsageQuantity).hours === 'string' ? (q as UsageQuantity) : undefined;
}

/** The start of a UTC month "YYYY-MM" and of the month after it, as RFC 3339. */
function monthRange(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1));
  const to = new Date(Date.UTC(y, m, 1));
  return [from.toISOString().replace('.000Z', 'Z'), to.toISOString().replace('.000Z', 'Z')];
}

const MONTHLY_UNITS = ['machine', 'stored_gib', 'mail_account'];

/** The months charted month by month: the last 12 (this one included), or since `created`. */
export function monthlyRange(now: Date, created: string): [string, string] {
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  let from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
  const c = new Date(created);
  if (!Number.isNaN(c.getTime())) {
    const start = new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), 1));
    if (start > from) from = start;
  }
  return [iso(from), iso(to)];
}

function periodLabel(iso: string, step: string): string {
  if (step === 'month') return iso.slice(0, 7);
  if (step === 'day') return iso.slice(0, 10);
  return iso.slice(0, 13).replace('T', ' ') + ':00';
}

export async function usagePage({ root, query, signal }: PageContext): Promise<void> {
  root.append(
    heading('Usage'),
    billingTabs('/usage'),
    h('p', { class: 'muted' }, 'What your deployments used, measured from when each resource was created until it was deleted. Periods are UTC: a day is always 24 hours.'),
  );
  const choices = await organisationChoices('viewer').catch(() => []);
  if (!choices.length) {
    root.append(h('p', { class: 'empty' }, 'You are in no organisation.'));
    return;
  }
  const orgSel = orgSelect(choices, query.get('organisation'), 'usage-organisation');
  const monthIn = h('input', { type: 'month', id: 'usage-month', value: query.get('month') ?? new Date().toISOString().slice(0, 7) });
  const stepSel = h('select', { id: 'usage-step' }, h('option', { value: 'day', selected: true }, 'Days'), h('option', { value: 'hour' }, 'Hours'));
  const unitSel = h('select', { id: 'usage-unit' });
  const chartBox = h('div', { id: 'usage-chart' });
  const totalsBox = h('div', { id: 'usage-totals' });
  const monthsBox = h('div', { id: 'usage-months' });
  const status = h('div');
  root.append(
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'controls' },
        h('div', { class: 'field' }, h('label', { for: 'usage-organisation' }, 'Organisation'), orgSel),
        h('div', { class: 'field' }, h('label', { for: 'usage-month' }, 'Month (UTC)'), monthIn),
        h('div', { class: 'field' }, h('label', { for: 'usage-step' }, 'By'), stepSel),
        h('div', { class: 'field' }, h('label', { for: 'usage-unit' }, 'Chart of'), unitSel),
      ),
      status,
      chartBox,
    ),
    totalsBox,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'usage-months-heading' },
      h('h2', { id: 'usage-months-heading' }, 'Month by month'),
      h('p', { class: 'small muted' }, 'The last 12 months (UTC), or since the organisation exists; this month up to now.'),
      monthsBox,
    ),
  );

  let usage: Usage | null = null;

  const drawChart = () => {
    if (!usage) return;
    const unit = usage.units.find((u) => u.unit === unitSel.value) ?? usage.units[0]!;
    const bars = usage.periods.map((p) => {
      const q = quantity(p.total, unit.unit);
      return { label: periodLabel(p.from, usage!.step), value: q ? Number(q.hours) : 0, text: q?.hours ?? '0.000' };
    });
    chartBox.replaceChildren(
      barChart(bars, { title: `${unit.description}: ${unit.hours} per ${usage.step} (UTC)`, unit: unit.hours }),
      h('p', { class: 'small muted' }, `${unit.hours} per ${usage.step}, UTC. Measured until ${usage.measuredUntil}.`),
    );
  };

  const drawTotals = () => {
    if (!usage) return;
    const used = usage.units.filter((u) => quantity(usage!.total, u.unit));
    const deployments = Object.keys(usage.deployments).sort();
    const sizes = Object.entries(usage.total.machineHoursBySize ?? {});
    totalsBox.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Totals'),
        used.length
          ? h(
              'table',
              { class: 'table', id: 'usage-table' },
              h('thead', null, h('tr', null, h('th', null, 'Unit'), ...deployments.map((d) => h('th', { class: 'num' }, d)), h('th', { class: 'num' }, 'Organisation'))),
              h(
                'tbody',
                null,
                used.map((u) =>
                  h(
                    'tr',
                    { 'data-unit': u.unit },
                    h('td', null, u.hours),
                    ...deployments.map((d) => h('td', { class: 'num' }, quantity(usage!.deployments[d], u.unit)?.hours ?? '0.000')),
                    h('td', { class: 'num' }, quantity(usage!.total, u.unit)!.hours),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, 'Nothing was used in this period.'),
        sizes.length
          ? h('div', null, h('h3', null, 'Machine-hours by size'), h('ul', null, sizes.map(([size, hours]) => h('li', null, `${size}: ${hours} hours`))))
          : null,
      ),
    );
  };

  const loadMonths = async () => {
    monthsBox.replaceChildren(loading('Loading the months…'));
    try {
      const org = await api.organisation(orgSel.value);
      const [from, to] = monthlyRange(new Date(), org.createdAt);
      const months = await billing.usage(orgSel.value, from, to, 'month', signal);
      if (signal.aborted) return;
      monthsBox.replaceChildren(
        ...MONTHLY_UNITS.flatMap((key) => {
          const unit = months.units.find((u) => u.unit === key);
          if (!unit) return [];
          const bars = months.periods.map((p) => {
            const q = quantity(p.total, key);
            return { label: periodLabel(p.from, 'month'), value: q ? Number(q.hours) : 0, text: q?.hours ?? '0.000' };
          });
          return h(
            'figure',
            { class: 'month-chart', id: `usage-months-${key}`, 'data-unit': key },
            h('figcaption', null, `${unit.description}: ${unit.hours} per month`),
            barChart(bars, { title: `${unit.description}: ${unit.hours} per month (UTC)`, unit: unit.hours, height: 180 }),
          );
        }),
      );
    } catch (e) {
      if (!signal.aborted) monthsBox.replaceChildren(failure(`Could not load the months: ${errorText(e)}`, () => void loadMonths()));
    }
  };

  const load = async () => {
    if (!monthIn.value) return;
    status.replaceChildren(loading('Loading usage…'));
    const [from, to] = monthRange(monthIn.value);
    try {
      usage = await billing.usage(orgSel.value, from, to, stepSel.value, signal);
      if (signal.aborted) return;
      session.setCurrentOrganisation(orgSel.value);
      const keep = unitSel.value;
      const withData = usage.units.filter((u) => quantity(usage!.total, u.unit));
      const options = withData.length ? withData : usage.units.slice(0, 1);
      unitSel.replaceChildren(...options.map((u) => h('option', { value: u.unit, selected: u.unit === keep }, u.description)));
      status.replaceChildren();
      drawChart();
      drawTotals();
    } catch (e) {
      if (!signal.aborted) status.replaceChildren(failure(`Could not load usage: ${errorText(e)}`, () => void load()));
    }
  };
  for (const c of [orgSel, monthIn, stepSel]) c.addEventListener('change', () => void load());
  orgSel.addEventListener('change', () => void loadMonths());
  unitSel.addEventListener('change', drawChart);
  await Promise.all([load(), loadMonths()]);
}
