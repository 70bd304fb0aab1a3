// The tabs of the billing section (one "Billing" entry in the main navigation):
// Usage for everyone, Statements for organisation administrators and operators,
// Price plans and All organisations (every statement, the totals) for operators. The current page's tab is marked for screen readers.
import { h, link } from '../dom';
import * as session from '../session';

export const BILLING_PATHS = ['/usage', '/statements', '/price-plans', '/billing/organisations'];

export function billingTabs(current: string): HTMLElement {
  const tabs: [string, string, boolean][] = [
    ['/usage', 'Usage', true],
    ['/statements', 'Statements', session.can('organisation.manage')],
    ['/price-plans', 'Price plans', session.can('operator')],
    ['/billing/organisations', 'All organisations', session.can('operator')],
  ];
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Billing' },
    ...tabs
      .filter(([, , shown]) => shown)
      .map(([href, text]) => {
        const a = link(href, text);
        if (href === current) a.setAttribute('aria-current', 'page');
        return a;
      }),
  );
}
