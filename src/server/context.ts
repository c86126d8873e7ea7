/** What every route of `relayq server` works with: the config, Redis, the prompt queue, the logger. */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { Keys } from '../redis/keys.ts';

export interface ServerContext {
  config: Config;
  redis: Redis;
  keys: Keys;
  promptQueue: Queue;
  logger: Logger;
  /** The absolute origin clients reach the server at, no trailing slash (URLs relayq hands out start with it). */
  publicUrl: string;
  /** This process's own metrics (an in-process worker's upstream latency histogram), served with `/metrics`. */
  processMetrics?: Registry;
}

/** The config's `server.publicUrl`, else the address the server listens on. */
export function publicUrlOf(config: Config, listening: { host: string; port: number }): string {
  if (config.server.publicUrl !== undefined) return config.server.publicUrl.replace(/\/+$/, '');
  const host = listening.host.includes(':') ? `[${listening.host}]` : listening.host;
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${listening.port}`;
}
