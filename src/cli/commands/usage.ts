import { listBatches } from '../../batches/batch-store.ts';
import type { Runtime } from '../../runtime.ts';
import { loadPrices } from '../../usage/prices.ts';
import { buildUsageReport, type UsageGrouping, type UsageReport } from '../../usage/report.ts';
import { readBatchUsage, readDailyUsage } from '../../usage/usage-store.ts';
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
  const prices = await loadPrices(options.prices);
  // By batch: the usage of batches created since then (all their days); else the usage of the days since then.
  const rows =
    options.by === 'batch'
      ? await readBatchUsage(
          runtime.redis,
          runtime.keys,
          await listBatches(runtime.redis, runtime.keys, { limit: 10_000, since: options.since }),
        )
      : await readDailyUsage(runtime.redis, runtime.keys, options.since);
  const report = buildUsageReport(rows, options.by, prices);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ since: new Date(options.since).toISOString(), ...report }, null, 2)}\n`);
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
  const unpriced = report.total.unpriced_models ?? [];
  if (unpriced.length > 0) process.stderr.write(`no price for: ${unpriced.join(', ')} (add them to a price file: --prices FILE)\n`);
  return report;
}
