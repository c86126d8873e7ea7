/**
 * Starts `relayq server`: its own Redis connections and prompt queue, the Fastify app listening,
 * and with `worker` an in-process prompt worker (a one-box deployment). `close()` shuts down
 * gracefully: no new connections, in-flight requests finish, then the worker (its in-flight
 * prompts finish too) and the Redis connections close.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { PromptQueues } from '../batches/prompt-queues.ts';
import type { Config } from '../config/schema.ts';
import { errorEventLogger, type Logger } from '../log.ts';
import { createRedis } from '../redis/connection.ts';
import { openKeys } from '../redis/shards.ts';
import { withScripts } from '../redis/scripts.ts';
import type { JobTypes } from '../worker/job-types.ts';
import { startWorker, type RunningWorker } from '../worker/start-worker.ts';
import { buildServer } from './app.ts';
import { publicUrlOf, type ServerContext } from './context.ts';

export interface StartServerOptions {
  config: Config;
  redisUrl: string;
  logger: Logger;
  /** Given: an in-process worker runs these job types too. */
  worker?: JobTypes;
  /** Override the config's `server.host` / `server.port` (0: a free port). */
  host?: string;
  port?: number;
}

export interface RunningServer {
  /** Where it listens, `http://host:port`. */
  url: string;
  ctx: ServerContext;
  app: FastifyInstance;
  worker: RunningWorker | null;
  /** Graceful: stop accepting, finish in-flight requests, close the worker, then Redis. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const redis = withScripts(createRedis(options.redisUrl, {}, logger));
  const keys = await openKeys(redis, config.redis.prefix, config.redis.shards).catch(async (error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const queueConnection = createRedis(options.redisUrl, {}, logger);
  const promptQueue = new PromptQueues(keys, queueConnection);
  promptQueue.onError(errorEventLogger(logger, 'prompt queue'));
  const closeRedis = async () => {
    await promptQueue.close().catch(() => {});
    for (const connection of [queueConnection, redis]) await connection.quit().catch(() => connection.disconnect());
  };

  let worker: RunningWorker | null = null;
  let app: FastifyInstance | undefined;
  try {
    if (options.worker) worker = await startWorker(config, options.redisUrl, logger, options.worker);
    // The public URL needs the port, known once listening: the context is filled in before the first request.
    const ctx: ServerContext = { config, redis, keys, promptQueue, logger, publicUrl: publicUrlOf(config, { host, port }) };
    if (worker) ctx.processMetrics = worker.meter.registry;
    app = await buildServer(ctx);
    await app.listen({ host, port });
    const address = app.server.address() as AddressInfo;
    ctx.publicUrl = publicUrlOf(config, { host, port: address.port });
    const url = publicUrlOf({ ...config, server: { ...config.server, publicUrl: undefined } }, { host, port: address.port });
    const started = app;
    let closing: Promise<void> | null = null;
    return {
      url,
      ctx,
      app: started,
      worker,
      close: () => {
        closing ??= (async () => {
          await started.close();
          await worker?.close();
          await closeRedis();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await worker?.close(true).catch(() => {});
    await closeRedis();
    throw error;
  }
}
