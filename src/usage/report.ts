/** Usage rows grouped by account, model, batch, day or provider, with their list-price cost. */
import { costOf, type PriceTable } from './prices.ts';
import { emptyCounts, usageMetrics, type UsageCounts, type UsageRow } from './usage-store.ts';

export const usageGroupings = ['account', 'model', 'batch', 'day', 'provider'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

/** A model whose cost is unknown, and why. */
export interface UnpricedModel {
  provider: string;
  model: string;
  reason: string;
}

export interface UsageGroup extends UsageCounts {
  key: string;
  /** List-price cost; null when some of the group's models have no known price. */
  cost: number | null;
  /** Cost of the part that has prices, when some of it has none. */
  partial_cost?: number;
  /** Models of the group without a known price, with the reason. */
  unpriced_models?: UnpricedModel[];
  /** Tokens (prompt, cached and output) the cost leaves out: those of the unpriced models. */
  unpriced_tokens?: number;
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

interface Sum extends UsageGroup {
  known: number;
  left: number;
  unknown: Map<string, UnpricedModel>;
}

export function buildUsageReport(rows: readonly UsageRow[], by: UsageGrouping, prices: PriceTable): UsageReport {
  const groups = new Map<string, Sum>();
  const fresh = (key: string): Sum => ({ key, ...emptyCounts(), cost: 0, known: 0, left: 0, unknown: new Map() });
  const total = fresh('total');
  for (const row of rows) {
    const key = keyOf(row, by);
    let group = groups.get(key);
    if (!group) {
      group = fresh(key);
      groups.set(key, group);
    }
    const costing = costOf(prices, row);
    for (const target of [group, total]) {
      for (const metric of usageMetrics) target[metric] += row[metric];
      if (costing.cost === null) {
        target.unknown.set(`${row.provider}|${row.model}`, { provider: row.provider, model: row.model, reason: costing.reason });
        target.left += row.input_tokens + row.cache_read_tokens + row.cache_write_tokens + row.output_tokens;
      } else target.known += costing.cost;
    }
  }
  const finish = (group: Sum): UsageGroup => {
    const { known, left, unknown, ...rest } = group;
    if (unknown.size === 0) return { ...rest, cost: known };
    const unpriced = [...unknown.values()].sort((a, b) => a.model.localeCompare(b.model) || a.provider.localeCompare(b.provider));
    return { ...rest, cost: null, partial_cost: known, unpriced_models: unpriced, unpriced_tokens: left };
  };
  const sorted = [...groups.values()].sort((a, b) =>
    by === 'day' ? a.key.localeCompare(b.key) : b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens),
  );
  return { by, currency: prices.currency, groups: sorted.map(finish), total: finish(total) };
}

/** One line saying which models a cost leaves out and why, with their tokens; null when nothing is left out. */
export function unpricedNote(group: UsageGroup): string | null {
  const unpriced = group.unpriced_models ?? [];
  if (unpriced.length === 0) return null;
  const reasons = unpriced.map((entry) => entry.reason).join('; ');
  return `cost unknown for ${(group.unpriced_tokens ?? 0).toLocaleString('en-US')} tokens: ${reasons}`;
}
