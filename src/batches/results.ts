import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import type { ProviderName } from '../config/schema.ts';
import type { ErrorKind } from '../executors/errors.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts, type ScriptedRedis } from '../redis/scripts.ts';
import { promptClass } from './prompt-class.ts';
import { finalizeBatch } from './batch-store.ts';

export type ResultStatus = 'succeeded' | 'errored' | 'cancelled' | 'expired';

export interface ResultUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Reasoning ("thinking") tokens, when the provider reports them; part of output_tokens' bill. */
  reasoning_tokens?: number;
}

/** One line of `relayq results`: the outcome of one prompt. */
export interface ResultRecord {
  custom_id: string;
  status: ResultStatus;
  /** Null only for a prompt cancelled or expired before relayq knew where it would go. */
  provider: ProviderName | null;
  /** The account that served the last attempt (null when none could be chosen, or it never ran). */
  account: string | null;
  model: string | null;
  response?: { status_code: number; body: unknown; request_id?: string };
  error?: { kind: ErrorKind | 'internal'; message: string; status_code: number | null };
  usage: ResultUsage;
  attempts: number;
  latency_ms: number;
  /** The input line the prompt came from. */
  line: number;
  /** Settings of the request the provider could not honour (dropped or approximated in translation). */
  warnings?: string[];
}

export type WriteOutcome = 'duplicate' | 'written' | 'completed-batch';

/** Results longer than this are stored deflated: LLM answers are text and shrink to a third or so. */
const compressAbove = 1024;
/** First byte of a deflated result; a JSON result starts with "{". */
const deflatedMark = 0;
/** Daily usage hashes are kept this long. */
const usageDaySeconds = 400 * 24 * 3600;

export function encodeResult(record: ResultRecord): string | Buffer {
  const json = JSON.stringify(record);
  if (json.length <= compressAbove) return json;
  const deflated = deflateRawSync(json);
  const out = Buffer.allocUnsafe(deflated.length + 1);
  out[0] = deflatedMark;
  deflated.copy(out, 1);
  return out;
}

export function decodeResult(stored: Buffer | string): ResultRecord {
  if (typeof stored === 'string') return JSON.parse(stored) as ResultRecord;
  const json = stored[0] === deflatedMark ? inflateRawSync(stored.subarray(1)).toString('utf8') : stored.toString('utf8');
  return JSON.parse(json) as ResultRecord;
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

let dayCache = { until: 0, day: '' };

// The prompt path writes a result per job: the connection's script commands and each batch's key
// names are worked out once, not per result.
const prepared = new WeakSet<Redis>();
function scripted(redis: Redis): ScriptedRedis {
  if (!prepared.has(redis)) {
    withScripts(redis);
    prepared.add(redis);
  }
  return redis as ScriptedRedis;
}

type BatchKeys = readonly [record: string, results: string, lines: string, done: string, errored: string];
const keyCache = new WeakMap<Keys, Map<string, BatchKeys>>();
function keysOf(keys: Keys, batchId: string): BatchKeys {
  let byBatch = keyCache.get(keys);
  if (!byBatch) {
    byBatch = new Map();
    keyCache.set(keys, byBatch);
  }
  let found = byBatch.get(batchId);
  if (!found) {
    if (byBatch.size > 1000) byBatch.clear();
    found = [
      keys.batch(batchId),
      keys.batchResults(batchId),
      keys.batchLines(batchId),
      keys.batchDone(batchId),
      keys.batchErrored(batchId),
    ];
    byBatch.set(batchId, found);
  }
  return found;
}

/** Today's UTC day, computed once a minute at most (the prompt path calls it for every result). */
function today(now: number): string {
  if (now >= dayCache.until) {
    const day = utcDay(now);
    dayCache = { day, until: Math.min(Date.parse(`${day}T00:00:00Z`) + 86_400_000, now + 60_000) };
  }
  return dayCache.day;
}

/**
 * The usage hash fields after the metric: provider|account|batch|model for the day's hash,
 * provider|account|model for the all-time metrics hash; each with `|>N` for a prompt of more than N tokens.
 */
function usageSuffixes(record: ResultRecord, batchId: string): [day: string, allTime: string] {
  const usage = record.usage;
  const size = promptClass(usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens);
  const tail = size === '' ? `${record.model}` : `${record.model}|${size}`;
  return [`${record.provider}|${record.account}|${batchId}|${tail}`, `${record.provider}|${record.account}|${tail}`];
}

/**
 * Stores a prompt's result, its usage (per UTC day, by provider, account, batch and model), the
 * batch counters and the all-time counters of `/metrics`; a second result for the same custom_id
 * is ignored. The write that gives
 * the batch its last result also seals the batch (one more round trip, once per batch).
 *
 * Results written in the same turn of the event loop (the prompts of one worker finish many at a
 * time) travel together: one storeResults script call per batch and turn, one round trip for
 * all of them. Each caller's promise settles when its own result is in Redis.
 */
export async function writeResult(redis: Redis, keys: Keys, batchId: string, record: ResultRecord): Promise<WriteOutcome> {
  const usage = record.usage;
  const ran = record.account !== null && record.provider !== null && record.model !== null;
  const [daySuffix, allTimeSuffix] = ran ? usageSuffixes(record, batchId) : ['', ''];
  const fields: (string | number | Buffer)[] = [
    record.custom_id,
    encodeResult(record),
    record.status,
    daySuffix,
    record.status === 'errored' ? (record.error?.kind ?? 'internal') : '',
    record.attempts,
    usage.input_tokens,
    usage.output_tokens,
    usage.cache_read_tokens,
    usage.cache_write_tokens,
    usage.reasoning_tokens ?? 0,
    `${record.provider ?? ''}|${record.model ?? ''}`,
    allTimeSuffix,
  ];
  const answer = await writerFor(redis, keys).add(batchId, fields);
  if (answer === 0) return 'duplicate';
  if (answer === 2) {
    await finalizeBatch(redis, keys, batchId);
    return 'completed-batch';
  }
  return 'written';
}

/** Most results one script call stores: keeps each script run short (Redis runs nothing else meanwhile). */
const maxResultsPerCall = 256;

interface PendingWrite {
  fields: (string | number | Buffer)[];
  resolve(outcome: number): void;
  reject(error: unknown): void;
}

/** Collects the result writes of one turn of the event loop, per batch, and sends them together. */
class ResultWriter {
  private pending = new Map<string, PendingWrite[]>();
  private scheduled = false;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  add(batchId: string, fields: (string | number | Buffer)[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let writes = this.pending.get(batchId);
      if (writes === undefined) {
        writes = [];
        this.pending.set(batchId, writes);
      }
      writes.push({ fields, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    const now = Date.now();
    for (const [batchId, writes] of pending) {
      for (let start = 0; start < writes.length; start += maxResultsPerCall) {
        this.send(batchId, writes.slice(start, start + maxResultsPerCall), now);
      }
    }
  }

  private send(batchId: string, writes: PendingWrite[], now: number): void {
    const batchKeys = keysOf(this.keys, batchId);
    const shard = this.keys.shardOf(batchId);
    const args: (string | number | Buffer)[] = [
      batchKeys[0],
      batchKeys[1],
      batchKeys[2],
      this.keys.usageDay(today(now), shard),
      batchKeys[3],
      batchKeys[4],
      this.keys.metricsResults(shard),
      now,
      usageDaySeconds,
    ];
    for (const write of writes) args.push(...write.fields);
    const failAll = (error: unknown) => {
      for (const write of writes) write.reject(error);
    };
    try {
      this.redis.storeResults(...args).then((outcomes) => {
        writes.forEach((write, index) => {
          write.resolve(Number(outcomes[index]));
        });
      }, failAll);
    } catch (error) {
      failAll(error);
    }
  }
}

const writers = new WeakMap<Redis, WeakMap<Keys, ResultWriter>>();
function writerFor(redis: Redis, keys: Keys): ResultWriter {
  let byKeys = writers.get(redis);
  if (byKeys === undefined) {
    byKeys = new WeakMap();
    writers.set(redis, byKeys);
  }
  let writer = byKeys.get(keys);
  if (writer === undefined) {
    writer = new ResultWriter(scripted(redis), keys);
    byKeys.set(keys, writer);
  }
  return writer;
}

/** The result of a prompt that never ran: cancelled or expired while it waited. */
export function skippedResult(
  customId: string,
  status: 'cancelled' | 'expired',
  line: number,
  job?: { provider?: ProviderName; model?: string; attempts?: number },
): ResultRecord {
  return {
    custom_id: customId,
    status,
    provider: job?.provider ?? null,
    account: null,
    model: job?.model ?? null,
    error: {
      kind: 'cancelled',
      message:
        status === 'cancelled'
          ? 'the batch was cancelled before this prompt ran'
          : "the batch's completion window ended before this prompt ran",
      status_code: null,
    },
    usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
    attempts: job?.attempts ?? 0,
    latency_ms: 0,
    line,
  };
}

export async function hasResult(redis: Redis, keys: Keys, batchId: string, customId: string): Promise<boolean> {
  return (await redis.hexists(keys.batchResults(batchId), customId)) === 1;
}

export async function getResult(redis: Redis, keys: Keys, batchId: string, customId: string): Promise<ResultRecord | null> {
  const stored = await redis.hgetBuffer(keys.batchResults(batchId), customId);
  return stored === null ? null : decodeResult(stored);
}

/** Every result of the batch, in no particular order, read in chunks. */
export async function* scanResults(redis: Redis, keys: Keys, batchId: string): AsyncGenerator<ResultRecord> {
  let cursor = '0';
  do {
    const [next, entries] = await redis.hscanBuffer(keys.batchResults(batchId), cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (let i = 1; i < entries.length; i += 2) yield decodeResult(entries[i] as Buffer);
  } while (cursor !== '0');
}

/** The batch's results as JSON lines (one per custom_id, in no particular order). */
export async function* readResultLines(redis: Redis, keys: Keys, batchId: string): AsyncGenerator<string> {
  for await (const record of scanResults(redis, keys, batchId)) yield JSON.stringify(record);
}

/** Results of these custom_ids, in the same order (null where there is none). */
export async function getResults(redis: Redis, keys: Keys, batchId: string, customIds: string[]): Promise<(ResultRecord | null)[]> {
  if (customIds.length === 0) return [];
  const stored = await redis.hmgetBuffer(keys.batchResults(batchId), ...customIds);
  return stored.map((value) => (value === null ? null : decodeResult(value)));
}

/**
 * Results in the order they landed, from position `from` of the batch's done list: what
 * `results --follow` tails. Returns the records and the position to continue from.
 */
export async function resultsSince(
  redis: Redis,
  keys: Keys,
  batchId: string,
  from: number,
  max = 1000,
): Promise<{ records: ResultRecord[]; next: number }> {
  const ids = await redis.lrange(keys.batchDone(batchId), from, from + max - 1);
  const records = (await getResults(redis, keys, batchId, ids)).filter((record): record is ResultRecord => record !== null);
  return { records, next: from + ids.length };
}

/**
 * Every result in input-line order. Redis sorts: the custom_ids go into a temporary sorted set
 * scored by line number, which is then read in chunks, so memory stays bounded for any batch size.
 */
export async function* resultsInInputOrder(redis: Redis, keys: Keys, batchId: string): AsyncGenerator<ResultRecord> {
  const order = keys.batchOrder(batchId);
  await redis.del(order);
  let cursor = '0';
  do {
    const [next, entries] = await redis.hscan(keys.batchLines(batchId), cursor, 'COUNT', 2000);
    cursor = next;
    if (entries.length === 0) continue;
    const args: (string | number)[] = [];
    for (let i = 0; i < entries.length; i += 2) args.push(Number(entries[i + 1]), entries[i] as string);
    await redis.zadd(order, ...args);
  } while (cursor !== '0');
  await redis.expire(order, 3600);
  try {
    for (let start = 0; ; start += 1000) {
      const ids = await redis.zrange(order, start, start + 999);
      if (ids.length === 0) break;
      for (const record of await getResults(redis, keys, batchId, ids)) if (record !== null) yield record;
    }
  } finally {
    await redis.del(order);
  }
}
