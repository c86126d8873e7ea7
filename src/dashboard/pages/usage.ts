/** `/usage`: tokens and list-price cost over a period, by day, model, account, provider and (admins) tenant, as bar charts. */
import { usageReport } from '../../operations/usage.ts';
import type { DashboardContext } from '../context.ts';
import { listBatches } from '../../batches/batch-list.ts';
import type { UsageGroup, UsageGrouping } from '../../usage/report.ts';
import type { PriceTable } from '../../usage/prices.ts';
import { bars } from '../charts.ts';
import { compact, html, money, type Html, type Viewer } from '../html.ts';

export const periods = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
const groupings: [UsageGrouping, string][] = [
  ['day', 'By day'],
  ['model', 'By model'],
  ['account', 'By account'],
  ['provider', 'By provider'],
];

function tokens(group: UsageGroup): number {
  return group.input_tokens + group.output_tokens + group.cache_read_tokens + group.cache_write_tokens;
}

function chart(title: string, groups: UsageGroup[], currency: string, sortByKey: boolean): Html {
  const sorted = sortByKey ? [...groups].sort((a, b) => a.key.localeCompare(b.key)) : [...groups].sort((a, b) => tokens(b) - tokens(a));
  return html`<section class="chart"><h2>${title}</h2>
    <h3>Tokens</h3>${bars(sorted.map((group) => ({ label: group.key, value: tokens(group), text: `${compact(tokens(group))} (${compact(group.input_tokens)} in, ${compact(group.output_tokens)} out)` })))}
    <h3>Cost</h3>${bars(sorted.map((group) => ({ label: group.key, value: group.cost ?? 0, text: money(group.cost, currency) })))}
  </section>`;
}

export async function usagePage(ctx: DashboardContext, prices: PriceTable, viewer: Viewer, period: keyof typeof periods): Promise<Html> {
  const since = Date.now() - periods[period];
  const tenant = viewer.admin ? undefined : viewer.tenant;
  const reports = await Promise.all(groupings.map(([by]) => usageReport(ctx, { since, by, prices, tenant })));
  const total = reports[0]?.total;
  const currency = reports[0]?.currency ?? 'USD';
  let byTenant: Html = html``;
  if (viewer.admin) {
    // Tenants with batches in the period (batches made with the command line have none).
    const batches = await listBatches(ctx.redis, ctx.keys, { limit: 10_000, since });
    const tenants = [...new Set(batches.flatMap((batch) => (batch.tenant === null ? [] : [batch.tenant])))];
    const perTenant = await Promise.all(
      tenants.map(async (name) => ({ ...(await usageReport(ctx, { since, by: 'provider', prices, tenant: name })).total, key: name })),
    );
    byTenant = chart('By tenant', perTenant, currency, false);
  }
  return html`<h1>Usage</h1>
  <form class="filters" method="get" action="/usage"><label>Period <select name="period" onchange="this.form.submit()">${Object.keys(
    periods,
  ).map(
    (p) => html`<option value="${p}"${p === period ? html` selected` : ''}>last ${p}</option>`,
  )}</select></label><noscript><button>Show</button></noscript></form>
  ${total ? html`<p class="totals">${compact(tokens(total))} tokens · ${compact(total.requests)} requests · ${money(total.cost, currency)} at list price${viewer.admin ? '' : ` · tenant ${viewer.tenant}`}</p>` : ''}
  <div class="charts">${groupings.map(([by, title], index) => chart(title, reports[index]?.groups ?? [], currency, by === 'day'))}${byTenant}</div>`;
}
