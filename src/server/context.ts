/** What every route of `relayq server` works with: the config, Redis, the prompt queue, the logger. */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { DashboardContext } from '../dashboard/context.ts';

/**
 * The dashboard's context (config, redis, keys, promptQueue, logger, publicUrl: the absolute origin
 * clients reach the server at, no trailing slash; URLs relayq hands out start with it), and more.
 */
export interface ServerContext extends DashboardContext {
  /** This process's own metrics (an in-process worker's upstream latency histogram), served with `/metrics`. */
  processMetrics?: Registry;
}

/** The config's `server.publicUrl`, else the address the server listens on. */
export function publicUrlOf(config: Config, listening: { host: string; port: number }): string {
  if (config.server.publicUrl !== undefined) return config.server.publicUrl.replace(/\/+$/, '');
  const host = listening.host.includes(':') ? `[${listening.host}]` : listening.host;
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${listening.port}`;
}
