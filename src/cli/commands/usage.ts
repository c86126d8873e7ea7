import { usageReport } from '../../operations/usage.ts';
import type { Runtime } from '../../runtime.ts';
import { loadPrices } from '../../usage/prices.ts';
import { unpricedNote, type UsageGrouping, type UsageReport } from '../../usage/report.ts';
import { formatNumber } from '../progress.ts';
import { formatCost, renderTable } from '../style.ts';

export interface UsageCommandOptions {
  since: number;
  by: UsageGrouping;
  json: boolean;
  prices?: string;
}

/** `relayq usage`: tokens and list-price cost since a time, grouped by account, model, batch or day. */
export async function usageCommand(runtime: Runtime, options: UsageCommandOptions): Promise<UsageReport> {
  const { since, ...report } = await usageReport(runtime, {
    since: options.since,
    by: options.by,
    prices: await loadPrices(options.prices),
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ since, ...report }, null, 2)}\n`);
    return report;
  }
  const line = (group: UsageReport['total']) => [
    group.key,
    formatNumber(group.requests),
    formatNumber(group.input_tokens),
    formatNumber(group.output_tokens),
    formatNumber(group.cache_read_tokens),
    formatNumber(group.cache_write_tokens),
    formatNumber(group.reasoning_tokens),
    group.cost === null ? `${formatCost(group.partial_cost ?? 0, report.currency)}+?` : formatCost(group.cost, report.currency),
  ];
  const header = [options.by.toUpperCase(), 'REQUESTS', 'INPUT', 'OUTPUT', 'CACHE READ', 'CACHE WRITE', 'REASONING', 'COST'];
  process.stdout.write(`${renderTable(header, [...report.groups.map(line), line(report.total)])}\n`);
  const note = unpricedNote(report.total);
  if (note !== null) process.stderr.write(`${note}\n`);
  return report;
}
