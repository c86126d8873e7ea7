import { Redis, type RedisOptions } from 'ioredis';
import { errorEventLogger, type Logger } from '../log.ts';

/**
 * A Redis connection for relayq and BullMQ. `maxRetriesPerRequest: null` is what BullMQ
 * workers require: commands wait for a reconnect instead of failing after a few retries, so a
 * Redis restart pauses work rather than losing it. Given a logger, its connection errors (an
 * outage: ECONNREFUSED many times a second) are logged as rate-limited JSON lines; without one,
 * ioredis prints them raw on stderr.
 */
export function createRedis(url: string, options: RedisOptions = {}, logger?: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...options,
  });
  if (logger) redis.on('error', errorEventLogger(logger, 'redis connection'));
  return redis;
}

/** What a probe of a Redis found: it answers, it refuses our credentials, or nothing answers. */
export type RedisProbe = { state: 'answers' } | { state: 'auth-refused'; reply: string } | { state: 'unreachable'; reason: string };

/** Redis replies that mean the password (or user) is wrong or missing. */
const authReply = /^(NOAUTH|WRONGPASS|ERR invalid password|ERR (AUTH|Client sent AUTH))/;

/** Probes a Redis at `url` with one PING, within `timeoutMs`. */
export async function probeRedis(url: string, timeoutMs = 1_000): Promise<RedisProbe> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // Our own timer instead of ioredis' connectTimeout: that one's socket timer outlives a
    // refused connection and keeps the process alive for the whole timeout.
    connectTimeout: 0,
    enableOfflineQueue: false,
  });
  let lastError: Error | undefined;
  let timedOut = false;
  client.on('error', (error: Error) => (lastError = error));
  // disconnect() on a connection that already ended arms a 2 s timer that nothing clears.
  const disconnect = () => {
    if (client.status !== 'end') client.disconnect();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    disconnect();
  }, timeoutMs);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG' ? { state: 'answers' } : { state: 'unreachable', reason: 'it does not answer PING' };
  } catch (caught) {
    // The 'error' event carries the cause (ECONNREFUSED, WRONGPASS); the rejection often only "Connection is closed."
    if (timedOut) return { state: 'unreachable', reason: `no answer in ${timeoutMs} ms` };
    const error = (lastError ?? caught) as NodeJS.ErrnoException;
    const message = error?.message ?? String(error);
    if (authReply.test(message)) return { state: 'auth-refused', reply: message.split('\n')[0] as string };
    return { state: 'unreachable', reason: error?.code ?? message };
  } finally {
    clearTimeout(timer);
    disconnect();
  }
}

/** Answers whether a Redis at `url` replies to PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)).state === 'answers';
}

/** `redis://127.0.0.1:6379` with any password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
