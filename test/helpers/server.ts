/**
 * `relayq server` for tests: the simulator, the server on a free 127.0.0.1 port under a key
 * prefix of the test's own, and (by default) an in-process worker whose account points at the
 * simulator. `close()` stops everything and deletes the prefix's keys.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { jobTypes } from '../../jobs/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import type { ServerContext } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start-server.ts';
import { startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/simulator/server.ts';
import { createApiKey } from '../../src/tenants/api-keys.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from './redis.ts';

export interface TestServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  ctx: ServerContext;
  server: RunningServer;
  simulator: RunningSimulator;
  /** Makes an API key (as `relayq keys create` does) and returns it. */
  createKey(name: string, options?: { tenant?: string; admin?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /**
   * Config fields over the test's own (its prefix, one simulator account `sim`, 16 concurrent
   * jobs); a function gets the simulator's URL (for accounts of the test's own).
   */
  config?: Partial<ConfigInput> | ((simulatorUrl: string) => Partial<ConfigInput>);
  /** Run an in-process worker (default true). */
  worker?: boolean;
  simulator?: SimulatorConfigInput;
  /** Runs on the test's Redis and keys before the server and its worker start (bindings, say, that workers read every few seconds). */
  prepare?: (redis: Redis, keys: Keys) => Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const prefix = testPrefix('server');
  const simulator = await startSimulator({ latencyMs: 5, ...options.simulator });
  const config = parseConfig(
    {
      redis: { prefix },
      worker: { concurrency: 16, attempts: 3 },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-server-test' }],
      ...(typeof options.config === 'function' ? options.config(simulator.url) : options.config),
    },
    {},
  );
  if (options.prepare) {
    const redis = testRedis();
    await options.prepare(redis, createKeys(prefix));
    redis.disconnect();
  }
  const server = await startServer({
    config,
    redisUrl: testRedisUrl(),
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    worker: options.worker === false ? undefined : jobTypes,
    host: '127.0.0.1',
    port: 0,
  });
  return {
    url: server.url,
    ctx: server.ctx,
    server,
    simulator,
    createKey: async (name, keyOptions = {}) => (await createApiKey(server.ctx.redis, server.ctx.keys, { name, ...keyOptions })).key,
    close: async () => {
      await server.close();
      await simulator.close();
      const redis = testRedis();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
