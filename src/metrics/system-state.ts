/**
 * What one scrape of `/metrics` reads from Redis: the all-time counters (totals.ts), the queues'
 * job counts, batches by status, the accounts' state and the live workers. Read fresh for every
 * scrape, so every process (server or worker) answers with the same, whole-system view.
 */
import type { JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { knownAccountIds, readAccountStates, type AccountState } from '../accounts/state.ts';
import { batchStatuses, type BatchStatus } from '../batches/status.ts';
import type { Config } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';
import { workerTimeoutMs } from '../scheduler/account-cache.ts';
import {
  readResultTotals,
  readUpstreamTotals,
  readWebhookTotals,
  type ResultTotals,
  type UpstreamTotal,
  type WebhookTotal,
} from './totals.ts';

/** The BullMQ job states counted per queue. */
export const jobStates = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const satisfies readonly JobType[];

export interface SystemStateSource {
  redis: Redis;
  keys: Keys;
  config: Config;
  /** The queues whose jobs are counted, by the name shown in the `queue` label. */
  queues: readonly { name: string; queue: JobCounter }[];
}

/** A queue, or several read as one (the prompt queues), that counts its jobs by state. */
export interface JobCounter {
  getJobCounts(...types: JobType[]): Promise<Record<string, number>>;
}

export interface QueueJobCount {
  queue: string;
  state: string;
  count: number;
}

export interface SystemState {
  results: ResultTotals;
  upstream: UpstreamTotal[];
  webhooks: WebhookTotal[];
  jobs: QueueJobCount[];
  batches: Record<BatchStatus, number>;
  accounts: AccountState[];
  /** Worker processes whose heartbeat is recent (the scheduler's, every half second). */
  workers: number;
}

export async function readSystemState(source: SystemStateSource, now = Date.now()): Promise<SystemState> {
  const { redis, keys } = source;
  const [results, upstream, webhooks, jobs, batches, accounts, workers] = await Promise.all([
    readResultTotals(redis, keys),
    readUpstreamTotals(redis, keys),
    readWebhookTotals(redis, keys),
    readJobCounts(source.queues),
    countBatches(redis, keys),
    readAccounts(source),
    redis.zcount(keys.schedWorkers(), now - workerTimeoutMs, '+inf'),
  ]);
  return { results, upstream, webhooks, jobs, batches, accounts, workers };
}

async function readJobCounts(queues: SystemStateSource['queues']): Promise<QueueJobCount[]> {
  const counted = await Promise.all(queues.map(({ queue }) => queue.getJobCounts(...jobStates)));
  return queues.flatMap(({ name }, index) => jobStates.map((state) => ({ queue: name, state, count: counted[index]?.[state] ?? 0 })));
}

/** Batches by status, every status present (0 when none): the batch index, a chunk of records at a time. */
async function countBatches(redis: Redis, keys: Keys): Promise<Record<BatchStatus, number>> {
  const counts = Object.fromEntries(batchStatuses.map((status) => [status, 0])) as Record<BatchStatus, number>;
  const chunk = 1000;
  for (let start = 0; ; start += chunk) {
    const ids = await redis.zrange(keys.batches(), start, start + chunk - 1);
    if (ids.length === 0) break;
    // One request per batch, all sent at once (batches live in different shards).
    for (const status of await Promise.all(ids.map((id) => redis.hget(keys.batch(id), 'status')))) {
      // An index entry whose record expired has no status; it is not a batch any more.
      if (typeof status === 'string' && status in counts) counts[status as BatchStatus] += 1;
    }
    if (ids.length < chunk) break;
  }
  return counts;
}

/** Every account the config names or a worker registered, with the provider the config gives when no worker has yet. */
async function readAccounts(source: SystemStateSource): Promise<AccountState[]> {
  const configured = source.config.accounts;
  const ids = [...new Set([...configured.map((account) => account.id), ...(await knownAccountIds(source.redis, source.keys))])];
  const states = await readAccountStates(source.redis, source.keys, ids);
  for (const state of states) state.provider ??= configured.find((account) => account.id === state.id)?.provider ?? null;
  return states;
}
