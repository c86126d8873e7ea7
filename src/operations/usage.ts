/**
 * Tokens and list-price cost since a time, grouped by account, model, batch, day or provider
 * (`relayq usage --json`, `GET /api/usage`). With a tenant, only the usage of that tenant's batches.
 */
import { listBatchPage, listBatches } from '../batches/batch-list.ts';
import type { BatchInfo } from '../batches/batch-store.ts';
import type { PriceTable } from '../usage/prices.ts';
import { buildUsageReport, type UsageGrouping, type UsageReport } from '../usage/report.ts';
import { readBatchUsage, readDailyUsage } from '../usage/usage-store.ts';
import type { OperationDeps } from './deps.ts';

export interface UsageQuery {
  /** Epoch ms. */
  since: number;
  by: UsageGrouping;
  prices: PriceTable;
  /** Only the usage of this tenant's batches. */
  tenant?: string;
}

/** Batches a usage report reads at most when it goes by batch (or by tenant). */
const maxBatches = 10_000;

export async function usageReport(
  deps: Pick<OperationDeps, 'redis' | 'keys'>,
  query: UsageQuery,
): Promise<UsageReport & { since: string }> {
  // By batch (or for a tenant): the usage of batches created since then (all their days); else the usage of the days since then.
  const rows =
    query.by === 'batch' || query.tenant !== undefined
      ? await readBatchUsage(deps.redis, deps.keys, await batchesSince(deps, query.since, query.tenant))
      : await readDailyUsage(deps.redis, deps.keys, query.since);
  return { since: new Date(query.since).toISOString(), ...buildUsageReport(rows, query.by, query.prices) };
}

async function batchesSince(deps: Pick<OperationDeps, 'redis' | 'keys'>, since: number, tenant: string | undefined): Promise<BatchInfo[]> {
  if (tenant === undefined) return listBatches(deps.redis, deps.keys, { limit: maxBatches, since });
  const { batches } = await listBatchPage(deps.redis, deps.keys, { tenant, limit: maxBatches });
  return batches.filter((batch) => Date.parse(batch.created_at) >= since);
}
