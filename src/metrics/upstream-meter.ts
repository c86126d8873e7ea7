/**
 * Counts a worker's upstream calls: by provider, account and answer (the HTTP status, or `error`
 * when none came) in memory, added to the shared all-time hash (keys.metricsUpstream()) with one
 * HINCRBY pipeline every few seconds and on close, so a clean stop loses nothing; and each call's
 * duration in a histogram of this process's own registry (served by `relayq worker --metrics-port`).
 */
import type { Redis } from 'ioredis';
import { Histogram, Registry } from 'prom-client';
import { ProviderError } from '../executors/errors.ts';
import type { Keys } from '../redis/keys.ts';

export interface UpstreamCall {
  provider: string;
  account: string;
  /** The HTTP status upstream answered; null when no answer came (network failure, timeout). */
  statusCode: number | null;
  /** `ok`, or the error's kind (`rate_limited`, `server`, ...), or `error` for an error that is no provider error. */
  outcome: string;
  seconds: number;
}

export interface UpstreamMeter {
  /** This process's own metrics (the latency histogram). */
  readonly registry: Registry;
  record(call: UpstreamCall): void;
  /** Adds the counts so far to Redis; on failure they stay for the next flush. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

export interface UpstreamMeterOptions {
  redis: Redis;
  keys: Keys;
  /** How often counts go to Redis (default 2 s). */
  flushMs?: number;
  onError?: (error: unknown) => void;
}

/** Buckets of the latency histogram, in seconds: LLM calls take from a tenth of a second to minutes. */
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createUpstreamMeter(options: UpstreamMeterOptions): UpstreamMeter {
  const { redis, keys } = options;
  const registry = new Registry();
  const duration = new Histogram({
    name: 'relayq_upstream_request_duration_seconds',
    help: "Duration of this worker process's upstream calls, from send to the whole answer",
    labelNames: ['provider', 'account', 'outcome'],
    buckets: durationBuckets,
    registers: [registry],
  });
  let counts = new Map<string, number>();
  // Flushes run one after another, so a count put back after a failure is never sent twice.
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const flushOnce = async (): Promise<void> => {
    if (counts.size === 0) return;
    const sending = [...counts];
    counts = new Map();
    const putBack = (entries: [string, number][]) => {
      for (const [field, n] of entries) counts.set(field, (counts.get(field) ?? 0) + n);
    };
    const pipeline = redis.pipeline();
    for (const [field, n] of sending) pipeline.hincrby(keys.metricsUpstream(), field, n);
    let replies: [Error | null, unknown][];
    try {
      replies = (await pipeline.exec()) ?? [];
    } catch (error) {
      // Nothing was written: counted again next time.
      putBack(sending);
      throw error;
    }
    const failed = sending.filter((_entry, index) => replies[index]?.[0] !== null);
    if (failed.length > 0) {
      putBack(failed);
      throw replies.find(([error]) => error !== null)?.[0] ?? new Error('the upstream counts were not written');
    }
  };
  const flush = (): Promise<void> => {
    const next = chain.then(flushOnce);
    chain = next.catch(() => {});
    return next;
  };
  const timer = setInterval(() => {
    flush().catch((error: unknown) => options.onError?.(error));
  }, options.flushMs ?? 2_000);
  timer.unref();

  return {
    registry,
    record(call) {
      const field = `${call.provider}|${call.account}|${call.statusCode ?? 'error'}`;
      counts.set(field, (counts.get(field) ?? 0) + 1);
      duration.observe({ provider: call.provider, account: call.account, outcome: call.outcome }, call.seconds);
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
    },
  };
}

/** What a failed upstream call is counted as: its status code (if an answer came) and outcome. */
export function failedCall(error: unknown): { statusCode: number | null; outcome: string } {
  if (error instanceof ProviderError) return { statusCode: error.statusCode ?? null, outcome: error.kind };
  return { statusCode: null, outcome: 'error' };
}
