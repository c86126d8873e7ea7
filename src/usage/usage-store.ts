/**
 * Reads the usage counters results write (storeResults-7.lua): a hash per UTC day of
 * `metric|provider|account|batch|model` → count, with `|>N` after the model for prompts of more
 * than N tokens (their prompt size class, src/batches/prompt-class.ts, for prices by prompt size). Only final results count, once each, so a
 * prompt retried after a 429 is billed once here, as upstream bills it.
 */
import type { Redis } from 'ioredis';
import { allShards, type Keys } from '../redis/keys.ts';
import { addCounts } from '../redis/shards.ts';
import { utcDay } from '../batches/results.ts';
import { isPromptClass } from '../batches/prompt-class.ts';

export const usageMetrics = [
  'requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
] as const;
export type UsageMetric = (typeof usageMetrics)[number];

export type UsageCounts = Record<UsageMetric, number>;

export interface UsageRow extends UsageCounts {
  /** The UTC day (YYYY-MM-DD), for daily rows. */
  day?: string;
  /** The batch the prompts belonged to. */
  batch: string;
  provider: string;
  account: string;
  model: string;
  /** The prompt size class of the row's requests (absent for prompts up to the first boundary). */
  prompt_class?: string;
}

export function emptyCounts(): UsageCounts {
  return { requests: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 };
}

/** Turns one day's usage hash into rows, one per provider/account/batch/model. */
export function rowsOfHash(hash: Record<string, string>, day?: string): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const [field, value] of Object.entries(hash)) {
    const cuts: number[] = [];
    for (let at = field.indexOf('|'); at >= 0 && cuts.length < 4; at = field.indexOf('|', at + 1)) cuts.push(at);
    if (cuts.length < 4) continue;
    const [a, b, c, d] = cuts as [number, number, number, number];
    const metric = field.slice(0, a) as UsageMetric;
    if (!(usageMetrics as readonly string[]).includes(metric)) continue;
    const group = field.slice(a + 1);
    let row = rows.get(group);
    if (!row) {
      const rest = field.slice(d + 1);
      const bar = rest.lastIndexOf('|');
      const classed = bar >= 0 && isPromptClass(rest.slice(bar + 1));
      row = {
        provider: field.slice(a + 1, b),
        account: field.slice(b + 1, c),
        batch: field.slice(c + 1, d),
        model: classed ? rest.slice(0, bar) : rest,
        ...emptyCounts(),
      };
      if (classed) row.prompt_class = rest.slice(bar + 1);
      if (day !== undefined) row.day = day;
      rows.set(group, row);
    }
    row[metric] += Number(value);
  }
  return [...rows.values()];
}

/** The UTC days from `since` to `until`, both included. */
export function daysBetween(since: number, until: number): string[] {
  const days: string[] = [];
  const start = Date.parse(`${utcDay(since)}T00:00:00Z`);
  for (let at = start; at <= until; at += 24 * 3600 * 1000) days.push(utcDay(at));
  return days;
}

export async function readDailyUsage(redis: Redis, keys: Keys, since: number, until = Date.now()): Promise<UsageRow[]> {
  const days = daysBetween(since, until);
  // One request per day and shard, all sent at once (shards may live on different cluster nodes).
  const hashes = await Promise.all(
    days.map((day) => Promise.all(allShards(keys).map((shard) => redis.hgetall(keys.usageDay(day, shard))))),
  );
  return days.flatMap((day, index) => rowsOfHash(addCounts(hashes[index] ?? []), day));
}

/** The usage of some batches: the days each ran, their rows only. */
export async function readBatchUsage(
  redis: Redis,
  keys: Keys,
  batches: readonly { id: string; created_at: string; completed_at?: string | null }[],
): Promise<UsageRow[]> {
  if (batches.length === 0) return [];
  const wanted = new Set(batches.map((batch) => batch.id));
  const since = Math.min(...batches.map((batch) => Date.parse(batch.created_at)));
  const rows = await readDailyUsage(redis, keys, since);
  return rows.filter((row) => row.batch !== undefined && wanted.has(row.batch));
}
