import type { Redis } from 'ioredis';
import { PromptQueues } from './batches/prompt-queues.ts';
import { loadConfig } from './config/load.ts';
import type { Account, Config } from './config/schema.ts';
import { createLogger, errorEventLogger, type Logger } from './log.ts';
import { createRedis } from './redis/connection.ts';
import { resolveRedis, type ResolvedRedis } from './redis/embedded.ts';
import type { Keys } from './redis/keys.ts';
import { openKeys } from './redis/shards.ts';
import { withScripts } from './redis/scripts.ts';
import type { RunningSimulator } from './simulator/server.ts';

/** What a command needs: config, Redis, keys, the prompt queue; the simulator when no accounts are set. */
export interface Runtime {
  config: Config;
  configSource: string | null;
  redisUrl: string;
  redisOrigin: ResolvedRedis['origin'];
  redis: Redis;
  keys: Keys;
  queue: PromptQueues;
  logger: Logger;
  simulator: RunningSimulator | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  configPath?: string;
  /** Start the built-in simulator and a demo account when the config has no accounts. */
  needAccounts?: boolean;
  logLevel?: string;
  /** Where notices for a person go (stderr). */
  notice?: (message: string) => void;
}

export const demoAccountId = 'demo-simulator';

export async function openRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const notice = options.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  const { config, source } = await loadConfig({ path: options.configPath });
  const logger = createLogger(options.logLevel);
  const resolved = await resolveRedis({ url: config.redis.url });
  if (resolved.origin === 'embedded')
    notice(`relayq: no Redis configured or running; started redis-server at ${resolved.url} (data in .relayq/redis)`);

  let simulator: RunningSimulator | null = null;
  if (options.needAccounts && config.accounts.length === 0) {
    const { startSimulator } = await import('./simulator/server.ts');
    simulator = await startSimulator({ latencyMs: 25 });
    const demo: Account = {
      id: demoAccountId,
      provider: 'anthropic',
      baseUrl: simulator.url,
      apiKey: 'sk-ant-relayq-demo',
      limits: {},
      priority: 0,
      weight: 1,
      enabled: true,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 120_000 },
    };
    config.accounts.push(demo);
    notice(`relayq: no accounts configured; using the built-in simulator at ${simulator.url} (account "${demoAccountId}")`);
  }

  const redis = withScripts(createRedis(resolved.url, {}, logger));
  const keys = await openKeys(redis, config.redis.prefix, config.redis.shards).catch(async (error: unknown) => {
    // Nothing may keep the process alive after the error: the command exits with its message.
    redis.disconnect();
    await simulator?.close();
    await resolved.stop();
    throw error;
  });
  const queueConnection = createRedis(resolved.url, {}, logger);
  const queue = new PromptQueues(keys, queueConnection);
  queue.onError(errorEventLogger(logger, 'prompt queue'));
  return {
    config,
    configSource: source,
    redisUrl: resolved.url,
    redisOrigin: resolved.origin,
    redis,
    keys,
    queue,
    logger,
    simulator,
    close: async () => {
      await queue.close();
      for (const connection of [queueConnection, redis]) await connection.quit().catch(() => connection.disconnect());
      await simulator?.close();
      await resolved.stop();
    },
  };
}
