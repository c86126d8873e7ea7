/**
 * The all-time counters behind `/metrics`, kept in Redis so that one scrape of any process sees
 * the whole system and nothing is lost when a worker restarts:
 *
 * - results (storeResults-7.lua, once per final result): `prompts|status|provider|model` and
 *   `metric|provider|account|model[|>N]` for requests and tokens;
 * - upstream calls (the upstream meter, src/metrics/upstream-meter.ts): `provider|account|code`;
 * - webhook delivery attempts (jobs/webhook/processor.ts): by result.
 *
 * None holds a batch id or a custom_id, so they stay small however many batches run.
 */
import type { Redis } from 'ioredis';
import { isPromptClass } from '../batches/prompt-class.ts';
import type { Keys } from '../redis/keys.ts';
import { sumShards } from '../redis/shards.ts';
import { emptyCounts, usageMetrics, type UsageCounts, type UsageMetric } from '../usage/usage-store.ts';

export interface PromptTotal {
  status: string;
  /** Empty when the prompt never got as far as a provider. */
  provider: string;
  model: string;
  count: number;
}

/** Requests and tokens of one provider, account and model (and prompt size class, for prices by prompt size). */
export interface UsageTotal extends UsageCounts {
  provider: string;
  account: string;
  model: string;
  prompt_class?: string;
}

export interface ResultTotals {
  prompts: PromptTotal[];
  usage: UsageTotal[];
}

export interface UpstreamTotal {
  provider: string;
  account: string;
  /** The HTTP status upstream answered, or `error` when no answer came (network, timeout). */
  code: string;
  count: number;
}

export const webhookResults = ['delivered', 'retrying', 'failed', 'skipped'] as const;
/** What one delivery attempt came to: delivered, failed with another attempt to come, failed for good, or not made (endpoint gone). */
export type WebhookResult = (typeof webhookResults)[number];

export interface WebhookTotal {
  result: string;
  count: number;
}

/** Splits `a|b|c|rest` into its first `count` parts and the rest (which may hold bars of its own). */
function cut(field: string, count: number): string[] | null {
  const parts: string[] = [];
  let from = 0;
  for (let index = 0; index < count; index += 1) {
    const bar = field.indexOf('|', from);
    if (bar < 0) return null;
    parts.push(field.slice(from, bar));
    from = bar + 1;
  }
  parts.push(field.slice(from));
  return parts;
}

export async function readResultTotals(redis: Redis, keys: Keys): Promise<ResultTotals> {
  const hash = await sumShards(redis, keys, (shard) => keys.metricsResults(shard));
  const prompts: PromptTotal[] = [];
  const usage = new Map<string, UsageTotal>();
  for (const [field, value] of Object.entries(hash)) {
    const count = Number(value);
    if (field.startsWith('prompts|')) {
      const parts = cut(field, 3);
      if (parts !== null) prompts.push({ status: parts[1] ?? '', provider: parts[2] ?? '', model: parts[3] ?? '', count });
      continue;
    }
    const parts = cut(field, 3);
    if (parts === null || !(usageMetrics as readonly string[]).includes(parts[0] ?? '')) continue;
    const [metric, provider = '', account = '', rest = ''] = parts as [UsageMetric, string?, string?, string?];
    const group = field.slice(metric.length + 1);
    let row = usage.get(group);
    if (row === undefined) {
      const bar = rest.lastIndexOf('|');
      const classed = bar >= 0 && isPromptClass(rest.slice(bar + 1));
      row = { provider, account, model: classed ? rest.slice(0, bar) : rest, ...emptyCounts() };
      if (classed) row.prompt_class = rest.slice(bar + 1);
      usage.set(group, row);
    }
    row[metric] += count;
  }
  return { prompts, usage: [...usage.values()] };
}

export async function readUpstreamTotals(redis: Redis, keys: Keys): Promise<UpstreamTotal[]> {
  const hash = await redis.hgetall(keys.metricsUpstream());
  // Provider names and account ids hold no bar (the config allows letters, digits, "_", "." and "-").
  return Object.entries(hash).flatMap(([field, value]) => {
    const [provider, account, code, ...extra] = field.split('|');
    if (provider === undefined || account === undefined || code === undefined || extra.length > 0) return [];
    return [{ provider, account, code, count: Number(value) }];
  });
}

export async function readWebhookTotals(redis: Redis, keys: Keys): Promise<WebhookTotal[]> {
  const hash = await redis.hgetall(keys.metricsWebhooks());
  return Object.entries(hash).map(([result, value]) => ({ result, count: Number(value) }));
}

/** Counts one webhook delivery attempt's result. */
export async function countWebhookResult(redis: Redis, keys: Keys, result: WebhookResult): Promise<void> {
  await redis.hincrby(keys.metricsWebhooks(), result, 1);
}
