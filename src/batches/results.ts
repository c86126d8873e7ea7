import type { Redis } from 'ioredis';
import type { ProviderName } from '../config/schema.ts';
import type { ErrorKind } from '../executors/errors.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';

/** One line of `relayq results`: the outcome of one prompt. */
export interface ResultRecord {
  custom_id: string;
  status: 'succeeded' | 'errored';
  provider: ProviderName;
  /** The account that served the last attempt (null when none could be chosen). */
  account: string | null;
  model: string;
  response?: { status_code: number; body: unknown };
  error?: { kind: ErrorKind | 'internal'; message: string; status_code: number | null };
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
    cache_write_tokens: number;
  };
  attempts: number;
  latency_ms: number;
  /** The input line the prompt came from. */
  line: number;
  /** Settings of the request the provider could not honour (dropped or approximated in translation). */
  warnings?: string[];
}

export type WriteOutcome = 'duplicate' | 'written' | 'completed-batch';

/** Stores a prompt's result and the batch counters in one round trip; a second result is ignored. */
export async function writeResult(redis: Redis, keys: Keys, batchId: string, record: ResultRecord): Promise<WriteOutcome> {
  const answer = await withScripts(redis).writeResult(
    keys.batch(batchId),
    keys.batchResults(batchId),
    keys.batchLines(batchId),
    record.custom_id,
    JSON.stringify(record),
    record.status,
    record.usage.input_tokens,
    record.usage.output_tokens,
    record.usage.cache_read_tokens,
    record.usage.cache_write_tokens,
    Date.now(),
  );
  return answer === 0 ? 'duplicate' : answer === 2 ? 'completed-batch' : 'written';
}

export async function hasResult(redis: Redis, keys: Keys, batchId: string, customId: string): Promise<boolean> {
  return (await redis.hexists(keys.batchResults(batchId), customId)) === 1;
}

/** Streams the batch's results as JSON lines (one per custom_id, in no particular order). */
export async function* readResultLines(redis: Redis, keys: Keys, batchId: string): AsyncGenerator<string> {
  let cursor = '0';
  do {
    const [next, entries] = await redis.hscan(keys.batchResults(batchId), cursor, 'COUNT', 1000);
    cursor = next;
    for (let i = 1; i < entries.length; i += 2) yield entries[i] as string;
  } while (cursor !== '0');
}
