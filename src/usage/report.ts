/** Usage rows grouped by account, model, batch, day or provider, with their list-price cost. */
import { costOf, type PriceTable } from './prices.ts';
import { emptyCounts, usageMetrics, type UsageCounts, type UsageRow } from './usage-store.ts';

export const usageGroupings = ['account', 'model', 'batch', 'day', 'provider'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

export interface UsageGroup extends UsageCounts {
  key: string;
  /** List-price cost; null when some of the group's models have no price. */
  cost: number | null;
  /** Cost of the part that has prices, when some of it has none. */
  partial_cost?: number;
  /** Models of the group without a price in the table. */
  unpriced_models?: string[];
}

export interface UsageReport {
  by: UsageGrouping;
  currency: string;
  groups: UsageGroup[];
  total: UsageGroup;
}

function keyOf(row: UsageRow, by: UsageGrouping): string {
  if (by === 'batch') return row.batch ?? '-';
  if (by === 'day') return row.day ?? '-';
  return row[by];
}

export function buildUsageReport(rows: readonly UsageRow[], by: UsageGrouping, prices: PriceTable): UsageReport {
  const groups = new Map<string, UsageGroup & { known: number; unknown: Set<string> }>();
  const total = { key: 'total', ...emptyCounts(), cost: 0 as number | null, known: 0, unknown: new Set<string>() };
  for (const row of rows) {
    const key = keyOf(row, by);
    let group = groups.get(key);
    if (!group) {
      group = { key, ...emptyCounts(), cost: 0, known: 0, unknown: new Set() };
      groups.set(key, group);
    }
    const cost = costOf(prices, row.model, row);
    for (const target of [group, total]) {
      for (const metric of usageMetrics) target[metric] += row[metric];
      if (cost === null) target.unknown.add(row.model);
      else target.known += cost;
    }
  }
  const finish = (group: UsageGroup & { known: number; unknown: Set<string> }): UsageGroup => {
    const { known, unknown, ...rest } = group;
    if (unknown.size === 0) return { ...rest, cost: known };
    return { ...rest, cost: null, partial_cost: known, unpriced_models: [...unknown].sort() };
  };
  const sorted = [...groups.values()].sort((a, b) =>
    by === 'day' ? a.key.localeCompare(b.key) : b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens),
  );
  return { by, currency: prices.currency, groups: sorted.map(finish), total: finish(total) };
}
