/**
 * The overview's numbers, read from Redis: queue depth by state, batches by status, accounts by
 * health, tokens and cost today, workers alive, and two cumulative counters (results landed,
 * upstream calls admitted) whose differences between samples are the rates.
 *
 * Each server memoizes a snapshot for `snapshotTtlMs`, so ten tabs polling every 2 s cost Redis
 * what one does. One server at a time (a `SET NX` lock) records a sample every 10 s into a
 * sorted set trimmed to the last hour: the sparklines, shared by every server.
 */
import type { JobCounter } from '../metrics/system-state.ts';
import { listBatches } from '../batches/batch-list.ts';
import { batchStatuses } from '../batches/batch-store.ts';
import { accountsOverview, type AccountView } from '../operations/accounts.ts';
import { usageReport } from '../operations/usage.ts';
import type { DashboardContext } from './context.ts';
import type { PriceTable } from '../usage/prices.ts';

export const queueStates = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
export const accountHealths = ['ok', 'at_limit', 'cooling_down', 'disabled'] as const;
export type AccountHealthView = (typeof accountHealths)[number];

/** Batches the overview counts by status: the newest this many. */
const countedBatches = 500;
const snapshotTtlMs = 1_500;
export const sampleEveryMs = 10_000;
const keptMs = 3_600_000;
const workerTimeoutMs = 15_000;

export interface Snapshot {
  /** ms since the epoch. */
  t: number;
  /** Results landed in the batches counted (cumulative). */
  results: number;
  /** Upstream calls admitted over all accounts (cumulative). */
  admitted: number;
  queues: Record<string, Record<string, number>>;
  batches: Record<string, number>;
  accounts: Record<AccountHealthView, number>;
  /** Per account, cumulative: [admitted, rate limited (429), errors]. */
  perAccount: Record<string, [number, number, number]>;
  tokensToday: number;
  costToday: number | null;
  currency: string;
  workers: number;
}

/** How an account looks now: at_limit when some bucket it has is (nearly) empty. */
export function accountHealthView(account: AccountView): AccountHealthView {
  if (!account.enabled || account.health.status === 'disabled') return 'disabled';
  if (account.health.status === 'cooling_down') return 'cooling_down';
  const fills = Object.values(account.usage.available).filter((fill): fill is number => fill !== null);
  return fills.some((fill) => fill < 0.05) ? 'at_limit' : 'ok';
}

export async function takeSnapshot(
  ctx: DashboardContext,
  queues: Record<string, JobCounter>,
  prices: PriceTable,
  now = Date.now(),
): Promise<Snapshot> {
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  const [batchList, accounts, usage, workers, ...counts] = await Promise.all([
    listBatches(ctx.redis, ctx.keys, { limit: countedBatches }),
    accountsOverview({ config: ctx.config, redis: ctx.redis, keys: ctx.keys }),
    usageReport(ctx, { since: day.getTime(), by: 'provider', prices }),
    ctx.redis.zcount(ctx.keys.schedWorkers(), now - workerTimeoutMs, '+inf'),
    ...Object.values(queues).map((queue) => queue.getJobCounts(...queueStates)),
  ]);
  const batches = Object.fromEntries(batchStatuses.map((status) => [status, 0])) as Record<string, number>;
  let results = 0;
  for (const batch of batchList) {
    batches[batch.status] = (batches[batch.status] ?? 0) + 1;
    results += batch.counts.succeeded + batch.counts.errored + batch.counts.cancelled + batch.counts.expired;
  }
  const health = Object.fromEntries(accountHealths.map((name) => [name, 0])) as Record<AccountHealthView, number>;
  let admitted = 0;
  const perAccount: Snapshot['perAccount'] = {};
  for (const account of accounts.accounts) {
    health[accountHealthView(account)] += 1;
    admitted += account.counters.admitted;
    perAccount[account.id] = [account.counters.admitted, account.counters.rateLimited, account.counters.errors];
  }
  const total = usage.total;
  return {
    t: now,
    results,
    admitted,
    queues: Object.fromEntries(Object.keys(queues).map((name, index) => [name, counts[index] ?? {}])),
    batches,
    accounts: health,
    perAccount,
    tokensToday: total.input_tokens + total.output_tokens + total.cache_read_tokens + total.cache_write_tokens,
    costToday: total.cost,
    currency: usage.currency,
    workers,
  };
}

/** Per second between two snapshots, never below zero (a batch that expired drops its results). */
export function ratePerSecond(earlier: Snapshot | undefined, later: Snapshot, pick: (snapshot: Snapshot) => number): number {
  if (earlier === undefined || later.t <= earlier.t) return 0;
  return Math.max(0, (pick(later) - pick(earlier)) / ((later.t - earlier.t) / 1000));
}

export interface OverviewSource {
  /** The current snapshot, at most `snapshotTtlMs` old. */
  now(): Promise<Snapshot>;
  /** The samples of the last hour, oldest first. */
  samples(): Promise<Snapshot[]>;
  /** Takes a sample when no other server took one in the last interval. */
  sampleOnce(): Promise<boolean>;
  close(): void;
}

export function overviewSource(
  ctx: DashboardContext,
  queues: Record<string, JobCounter>,
  prices: PriceTable,
  options: { sample?: boolean } = {},
): OverviewSource {
  let cached: { at: number; value: Promise<Snapshot> } | null = null;
  const now = () => {
    if (cached === null || Date.now() - cached.at > snapshotTtlMs) {
      const value = takeSnapshot(ctx, queues, prices);
      cached = { at: Date.now(), value };
      value.catch(() => {
        cached = null;
      });
    }
    return cached.value;
  };
  const samples = async () => {
    const since = Date.now() - keptMs;
    const rows = await ctx.redis.zrangebyscore(ctx.keys.dashboardSamples(), since, '+inf');
    return rows.map((row) => JSON.parse(row) as Snapshot);
  };
  const sampleOnce = async () => {
    const lock = await ctx.redis.set(ctx.keys.dashboardSampler(), '1', 'PX', sampleEveryMs - 500, 'NX');
    if (lock !== 'OK') return false;
    const snapshot = await now();
    await ctx.redis
      .multi()
      .zadd(ctx.keys.dashboardSamples(), snapshot.t, JSON.stringify(snapshot))
      .zremrangebyscore(ctx.keys.dashboardSamples(), '-inf', snapshot.t - keptMs)
      .exec();
    return true;
  };
  const timer =
    options.sample === false
      ? null
      : setInterval(() => {
          sampleOnce().catch((error: unknown) => ctx.logger.warn({ err: error }, 'dashboard sample failed'));
        }, sampleEveryMs);
  timer?.unref();
  return { now, samples, sampleOnce, close: () => timer && clearInterval(timer) };
}
